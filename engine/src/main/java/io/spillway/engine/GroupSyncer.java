package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second half of an append worker's pipelined group commit: while the appender copies and
 * writes the next groups, this thread makes the written ones durable and visible.
 *
 * <p>Each turn takes every group handed over since the last turn and:
 * <ol>
 *   <li>fdatasyncs each segment they are in, once (durability {@code batch}; under
 *       {@code always} one group, so one block, per sync; nothing under {@code none}). A sync
 *       covers every group whose write returned before it started, which all handed-over groups
 *       did. A failed sync fails the segment: its unpublished groups end IO_ERROR and it is never
 *       synced again;
 *   <li>claims each block back from RELEASED (a block its deadline took is dropped here, so a
 *       timed-out dump never becomes visible);
 *   <li>publishes all of them in one index batch, its WAL synced (not under {@code none}),
 *       together with each segment's published watermark (the end of its last group handled
 *       here, whatever the groups' fates; see {@code BlockIndex.Batch#watermark});
 *   <li>completes the blocks, then handles retired segments in order: seals a full one (its
 *       footer marks records the index does not point at), deletes an empty one, leaves a
 *       failed one {@code .open} for recovery.
 * </ol>
 * Sync and write overlap, so a writer's throughput is bounded by the slower of the two rather
 * than their sum.
 */
final class GroupSyncer implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupSyncer.class);

    private final AppendWorker owner;
    private final StoreContext ctx;
    private final LinkedBlockingQueue<WrittenGroup> queue = new LinkedBlockingQueue<>();
    private final boolean coalesce;

    GroupSyncer(AppendWorker owner, StoreContext ctx) {
        this.owner = owner;
        this.ctx = ctx;
        this.coalesce = !ctx.durability().syncsEachBlock();
    }

    void hand(WrittenGroup item) {
        queue.add(item);
    }

    @Override
    public void run() {
        try {
            List<WrittenGroup> batch = new ArrayList<>();
            while (true) {
                batch.add(queue.take());
                if (coalesce) {
                    queue.drainTo(batch);
                }
                List<WrittenGroup.Group> groups = new ArrayList<>();
                for (WrittenGroup item : batch) {
                    switch (item) {
                        case WrittenGroup.Group g -> groups.add(g);
                        case WrittenGroup.Retire r -> {
                            commit(groups);
                            groups.clear();
                            retire(r.segment());
                        }
                        case WrittenGroup.Stop s -> {
                            commit(groups);
                            return;
                        }
                    }
                }
                commit(groups);
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("syncer of append worker {} died", owner.ordinal(), e);
            failPending("syncer died: " + e);
        }
    }

    /**
     * Steps 1 to 4 for a run of groups. Every group's end goes into the published watermark of
     * its segment, in the same index batch as the entries: the group's fate (visible, timed out,
     * aborted, or failed by its sync) is then durably decided, and recovery never re-decides it
     * from the segment. Blocks of a failed sync are reported IO_ERROR only after that batch, so
     * a crash can never make them visible again.
     */
    private void commit(List<WrittenGroup.Group> groups) {
        if (groups.isEmpty()) {
            return;
        }
        Map<SegmentWriter, String> failed = syncAll(groups);
        List<BlockWrite> blocks = new ArrayList<>();
        List<BlockLocation> locations = new ArrayList<>();
        Map<Long, Long> watermarks = new LinkedHashMap<>();
        List<WrittenGroup.Group> failedGroups = new ArrayList<>();
        for (WrittenGroup.Group g : groups) {
            watermarks.merge(g.segment().segmentId(), groupEnd(g), Math::max);
            if (failed.containsKey(g.segment())) {
                failedGroups.add(g);
                continue;
            }
            for (int i = 0; i < g.blocks().size(); i++) {
                BlockWrite w = g.blocks().get(i);
                if (w.task().claim(w.block(), TaskImpl.RELEASED)) {
                    blocks.add(w);
                    locations.add(g.locations().get(i));
                } else {
                    ctx.publisher().unclaim(w.token()); // its deadline took it: never visible
                }
            }
        }
        owner.publish(blocks, locations, watermarks);
        for (WrittenGroup.Group g : failedGroups) {
            owner.failBlocks(g.blocks(), new IOException("fdatasync of segment " + g.segment().segmentId() + " failed: "
                    + failed.get(g.segment())));
        }
    }

    /** The offset just past a group: its last payload, padded to the alignment. */
    private long groupEnd(WrittenGroup.Group g) {
        BlockLocation last = g.locations().getLast();
        return last.payloadOffset() + SegmentLayout.alignUp(last.storedLength(), ctx.alignment());
    }

    /** Syncs each segment of {@code groups} once; returns the failed ones with why. */
    private Map<SegmentWriter, String> syncAll(List<WrittenGroup.Group> groups) {
        Map<SegmentWriter, String> failed = new HashMap<>();
        if (!ctx.durability().syncsData()) {
            return failed;
        }
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
                s.sync();
                ctx.metrics().syncs.increment();
            } catch (IOException | RuntimeException e) {
                LOG.error("fdatasync of segment {} failed ({}); it takes no more writes and is never synced again",
                        s.segmentId(), e.getMessage());
                failed.put(s, String.valueOf(e.getMessage()));
            }
        }
        return failed;
    }

    private void retire(SegmentWriter segment) {
        owner.retire(segment);
    }

    private void failPending(String detail) {
        List<WrittenGroup> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (WrittenGroup item : rest) {
            if (item instanceof WrittenGroup.Group g) {
                owner.failBlocks(g.blocks(), new IOException(detail));
            }
        }
    }
}
