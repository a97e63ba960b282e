package io.spillway.engine;

import io.spillway.engine.api.Outcome;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a dump task on the scheduler's thread: deduplicates its blocks, then spreads the rest over
 * the append workers.
 *
 * <p>Per task:
 * <ol>
 *   <li>claim each pending key in the publisher; a key another live dump holds, or one awaiting
 *       commit, ends OK as deduplicated (not durable: that dump has not finished);
 *   <li>look the claimed keys up in the index, in one call; an indexed key is given back and ends
 *       OK as deduplicated (durable as the durability policy acknowledges);
 *   <li>queue the rest on the writers: a task whose blocks fit one group (header block plus
 *       aligned payloads within {@code write_group_size}) goes to one writer, whole, for one write
 *       and one sync; a larger one is cut into contiguous runs, one per writer, so its blocks
 *       stay together on disk and it still uses every writer. The first writer rotates from task
 *       to task.
 * </ol>
 */
final class DumpDispatcher {

    private final StoreContext ctx;
    private final WriterPool writers;
    private final AtomicInteger nextWriter = new AtomicInteger();

    DumpDispatcher(StoreContext ctx, WriterPool writers) {
        this.ctx = ctx;
        this.writers = writers;
    }

    /**
     * Refuses, before a task is made, a block that could not fit even an empty segment.
     *
     * @throws IllegalArgumentException naming the block and what to raise
     */
    void checkFits(int[] sizes) {
        for (int i = 0; i < sizes.length; i++) {
            if (!SegmentWriter.fitsEmpty(new int[] {sizes[i]}, ctx.segmentSize(), ctx.alignment())) {
                throw new IllegalArgumentException("block " + i + " of " + sizes[i] + " bytes does not fit in a segment of "
                        + ctx.config().segmentSize() + "; raise segment_size");
            }
        }
    }

    /** Steps 1 to 3 for {@code task}, made of {@code blocks}. */
    void dispatch(TaskImpl task, CheckedBlocks blocks) {
        List<RecordKey> keys = blocks.keys();
        Publisher pub = ctx.publisher();
        List<Integer> fresh = new ArrayList<>();
        InFlight[] tokens = new InFlight[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            if (!task.isPending(i)) {
                continue;
            }
            InFlight t = pub.claim(keys.get(i), task, i);
            if (t == null) {
                if (task.finishDeduplicated(i, false)) {
                    ctx.metrics().dumpDeduplicated.increment();
                }
            } else {
                tokens[i] = t;
                fresh.add(i);
            }
        }
        BitSet present;
        try {
            present = ctx.index().contains(fresh.stream().map(keys::get).toList());
        } catch (IOException e) {
            for (int i : fresh) {
                pub.unclaim(tokens[i]);
                task.tryFinish(i, Outcome.IO_ERROR, "index lookup failed: " + e.getMessage());
            }
            return;
        }
        boolean durable = ctx.durability().acknowledgesDurable();
        List<Integer> toWrite = new ArrayList<>();
        for (int j = 0; j < fresh.size(); j++) {
            int i = fresh.get(j);
            if (present.get(j)) {
                pub.unclaim(tokens[i]);
                if (task.finishDeduplicated(i, durable)) {
                    ctx.metrics().dumpDeduplicated.increment();
                }
            } else {
                toWrite.add(i);
            }
        }
        spread(task, toWrite, tokens, blocks.buffers(), blocks.sizes());
    }

    /** Step 3. */
    private void spread(TaskImpl task, List<Integer> toWrite, InFlight[] tokens, List<List<MemorySegment>> sources, int[] sizes) {
        long bytes = GroupHeader.headerBlockLength(Math.max(1, toWrite.size()), ctx.alignment());
        for (int i : toWrite) {
            bytes += SegmentLayout.alignUp(sizes[i], ctx.alignment());
        }
        int n = writers.size();
        int w = bytes <= ctx.writeGroupSize() ? 1 : n;
        int per = Math.max(1, (toWrite.size() + w - 1) / w);
        // Rotate over every writer, also for one-writer tasks: taken modulo w, a task that fits one
        // group always went to writer 0, so small-block dumps used one writer whatever stream_number said.
        int start = Math.floorMod(nextWriter.getAndIncrement(), n);
        for (int j = 0; j < toWrite.size(); j++) {
            int i = toWrite.get(j);
            writers.submit((start + j / per) % n, new BlockWrite(task, i, tokens[i], sources.get(i), sizes[i]));
        }
    }
}
