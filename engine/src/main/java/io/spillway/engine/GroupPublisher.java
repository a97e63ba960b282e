package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The third stage of an append worker's group commit: publishes what the {@link GroupSyncer}
 * synced, while the syncer already syncs the groups after it.
 *
 * <p>Each turn takes every synced run handed over since the last turn (one under durability
 * {@code always}) and:
 * <ol>
 *   <li>claims each block back from RELEASED (a block its deadline took is dropped here, so a
 *       timed-out dump never becomes visible);
 *   <li>publishes all of them in one index batch, its WAL synced (not under {@code none}),
 *       together with each segment's published watermark (the end of its last group handled
 *       here, whatever the groups' fates; see {@code BlockIndex.Batch#watermark});
 *   <li>completes the blocks, and fails those whose segment's sync failed, only after that
 *       batch (a crash can then never make them visible again);
 *   <li>handles retired segments in order: seals a full one (its footer marks records the index
 *       does not point at), deletes an empty one, leaves a failed one {@code .open} for recovery.
 * </ol>
 */
final class GroupPublisher extends CommitStage<WrittenGroup.Synced> {

    GroupPublisher(AppendWorker owner, StoreContext ctx) {
        super(owner, ctx, WrittenGroup.Synced.class);
    }

    /** Step 4. */
    @Override
    void retire(WrittenGroup.Retire r) {
        owner.retire(r.segment());
    }

    /**
     * Steps 1 to 3 for synced runs. Every group's end goes into the published watermark of its
     * segment, in the same index batch as the entries: the group's fate (visible, timed out,
     * aborted, or failed by its sync) is then durably decided, and recovery never re-decides it
     * from the segment.
     */
    @Override
    void handleRun(List<WrittenGroup.Synced> runs) {
        if (runs.isEmpty()) {
            return;
        }
        Map<SegmentWriter, String> failed = new HashMap<>();
        runs.forEach(r -> failed.putAll(r.failedSyncs()));
        List<BlockWrite> blocks = new ArrayList<>();
        List<BlockLocation> locations = new ArrayList<>();
        Map<Long, Long> watermarks = new LinkedHashMap<>();
        List<WrittenGroup.Group> failedGroups = new ArrayList<>();
        for (WrittenGroup.Synced run : runs) {
            for (WrittenGroup.Group g : run.groups()) {
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
        }
        long started = System.nanoTime();
        owner.publish(blocks, locations, watermarks);
        ctx.metrics().publish.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
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

    @Override
    void failPending(List<WrittenGroup> rest, String detail) {
        for (WrittenGroup item : rest) {
            if (item instanceof WrittenGroup.Synced s) {
                for (WrittenGroup.Group g : s.groups()) {
                    owner.failBlocks(g.blocks(), new IOException(detail));
                }
            }
        }
    }
}
