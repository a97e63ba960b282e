package io.spillway.engine;

import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second stage of an append worker's pipelined group commit: while the appender writes the
 * next groups, this thread makes the written ones durable, and hands them to the
 * {@link GroupPublisher}, which makes them visible while this thread syncs the groups after them.
 *
 * <p>Each turn takes every group handed over since the last turn and fdatasyncs each segment
 * they are in, once (durability {@code batch}; under {@code always} one group, so one block, per
 * sync; under {@code none} groups skip this stage, see {@link #hand}). A sync covers every
 * group whose write returned before it started, which all handed-over groups did. A failed sync
 * fails the segment: its groups are handed on marked failed, and it is never synced again.
 * Retirements and the stop are handed on in order, after the groups before them.
 *
 * <p>So three things overlap per writer: the write of group N+2, the data fdatasync of group
 * N+1 and the synced index batch of group N. Data is still durable before the index entry that
 * points at it (design invariant 2): a group reaches the publisher only after its own sync.
 */
final class GroupSyncer extends CommitStage<WrittenGroup.Group> {

    private static final Logger LOG = LoggerFactory.getLogger(GroupSyncer.class);

    private final GroupPublisher publisher;
    /** False under durability {@code none}: nothing to sync, so groups go straight to the publisher. */
    private final boolean syncs;

    GroupSyncer(AppendWorker owner, StoreContext ctx) {
        super(owner, ctx, WrittenGroup.Group.class);
        this.publisher = new GroupPublisher(owner, ctx);
        this.syncs = ctx.durability().syncsData();
    }

    /**
     * Takes what the appender hands over. Under durability {@code none} it goes on to the
     * publisher at once, in the appender's order (a thread hop less per group); this thread then
     * only waits for the stop.
     */
    @Override
    void hand(WrittenGroup item) {
        if (!syncs) {
            switch (item) {
                case WrittenGroup.Group g -> publisher.hand(new WrittenGroup.Synced(List.of(g), Map.of()));
                case WrittenGroup.Retire r -> publisher.hand(r);
                case WrittenGroup.Stop s -> {
                    publisher.hand(s);
                    super.hand(s);
                }
                case WrittenGroup.Synced s -> throw new IllegalStateException("the syncer is handed written groups, not synced ones");
            }
            return;
        }
        super.hand(item);
    }

    /** The third stage, run on a thread of its own. */
    GroupPublisher publisher() {
        return publisher;
    }

    @Override
    void retire(WrittenGroup.Retire r) {
        publisher.hand(r);
    }

    @Override
    void stop(WrittenGroup.Stop s) {
        if (syncs) {
            publisher.hand(s); // under none, hand() already passed it on
        }
    }

    /** Syncs a run of groups and hands them to the publisher, the failed ones marked. */
    @Override
    void handleRun(List<WrittenGroup.Group> groups) {
        if (!groups.isEmpty()) {
            publisher.hand(new WrittenGroup.Synced(groups, syncAll(groups)));
        }
    }

    /** Syncs each segment of {@code groups} once; returns the failed ones with why. */
    private Map<SegmentWriter, String> syncAll(List<WrittenGroup.Group> groups) {
        Map<SegmentWriter, String> failed = new HashMap<>();
        Set<SegmentWriter> segments = new LinkedHashSet<>();
        for (WrittenGroup.Group g : groups) {
            segments.add(g.segment());
        }
        for (SegmentWriter s : segments) {
            if (s.failed()) {
                failed.put(s, "the segment failed earlier");
                continue;
            }
            try {
                long started = System.nanoTime();
                s.sync();
                ctx.metrics().segmentSync.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                ctx.metrics().syncs.increment();
            } catch (IOException | RuntimeException e) {
                LOG.error("fdatasync of segment {} failed ({}); it takes no more writes and is never synced again",
                        s.segmentId(), e.getMessage());
                failed.put(s, String.valueOf(e.getMessage()));
            }
        }
        return failed;
    }

    @Override
    void failPending(List<WrittenGroup> rest, String detail) {
        for (WrittenGroup item : rest) {
            if (item instanceof WrittenGroup.Group g) {
                owner.failBlocks(g.blocks(), new IOException(detail));
            }
        }
        publisher.hand(new WrittenGroup.Stop());
    }
}
