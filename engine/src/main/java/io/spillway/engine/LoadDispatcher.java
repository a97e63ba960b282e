package io.spillway.engine;

import io.spillway.engine.api.Outcome;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordKey;
import java.io.IOException;
import java.util.List;

/**
 * Runs a load task on the scheduler's thread: looks every key up in the index in one call, ends
 * the blocks that are not stored ({@link Outcome#MISSING}) or whose destination has the wrong
 * size ({@link Outcome#IO_ERROR}), and hands the rest to the {@link LoadPath}'s readers.
 */
final class LoadDispatcher {

    private final StoreContext ctx;
    private final LoadPath loadPath;

    LoadDispatcher(StoreContext ctx, LoadPath loadPath) {
        this.ctx = ctx;
        this.loadPath = loadPath;
    }

    /** Dispatches {@code task}, made of {@code blocks}. */
    void dispatch(TaskImpl task, CheckedBlocks blocks) {
        List<RecordKey> keys = blocks.keys();
        int[] sizes = blocks.sizes();
        List<BlockLocation> locs;
        try {
            locs = ctx.index().getAll(keys);
        } catch (IOException e) {
            task.failAll(Outcome.IO_ERROR, "index lookup failed: " + e.getMessage());
            return;
        }
        for (int i = 0; i < keys.size(); i++) {
            BlockLocation loc = locs.get(i);
            if (loc == null) {
                ctx.metrics().loadMissing.increment();
                task.tryFinish(i, Outcome.MISSING, "not in the store");
            } else if (loc.rawLength() != sizes[i]) {
                task.tryFinish(i, Outcome.IO_ERROR, "destination is " + sizes[i] + " bytes but the block is " + loc.rawLength());
            } else {
                loadPath.submit(task, i, keys.get(i), loc, blocks.buffers().get(i));
            }
        }
    }
}
