package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * Turns the cache tier's block operations into tasks: one copy job per block on the {@link
 * CopyPool} (or run by the caller that awaits the task: {@link CacheTask}), a deadline, and BUSY for a block the full queue refuses.
 */
final class CacheTasks {

    private final CacheTier tier;
    private final CopyPool pool;
    private final TaskTracker tracker;

    CacheTasks(CacheTier tier, CopyPool pool, Duration timeout) {
        this.tier = tier;
        this.pool = pool;
        this.tracker = new TaskTracker(pool, timeout);
    }

    Task dump(List<BlockKey> keys, BlockArgs.Checked c, boolean closed) {
        CacheTask t = start(Task.Kind.D2S, keys.size(), closed);
        for (int i = 0; i < keys.size() && !t.isDone(); i++) {
            int b = i;
            if (!t.submit(b, () -> store(t, b, keys.get(b), c.buffers().get(b), c.sizes()[b]))) {
                tier.cacheMetrics().busy.increment();
                t.tryFinish(b, Outcome.BUSY, "the DRAM tier's copy queue is full", 0, false);
            }
        }
        return t;
    }

    Task load(List<BlockKey> keys, BlockArgs.Checked c, boolean closed) {
        CacheTask t = start(Task.Kind.S2D, keys.size(), closed);
        for (int i = 0; i < keys.size() && !t.isDone(); i++) {
            int b = i;
            if (!t.submit(b, () -> load(t, b, keys.get(b), c.buffers().get(b), c.sizes()[b]))) {
                t.tryFinish(b, Outcome.BUSY, "the DRAM tier's copy queue is full", 0, false);
            }
        }
        return t;
    }

    private CacheTask start(Task.Kind kind, int blocks, boolean closed) {
        return tracker.start(kind, blocks, false, closed);
    }

    private void store(CacheTask t, int i, BlockKey key, List<MemorySegment> src, int size) {
        if (!t.claim(i)) {
            return;
        }
        try {
            StoreResult r = tier.storeNow(key, src, size, SlotState.CLEAN);
            switch (r.kind()) {
                case STORED, DELETED_MEANWHILE -> t.finishClaimed(i, Outcome.OK, null, size, false);
                case PRESENT, PRESENT_DURABLE -> t.finishClaimedDeduplicated(i, false);
                case FULL -> t.finishClaimed(i, Outcome.BUSY, r.detail(), 0, false);
                case TOO_LARGE, FAILED -> t.finishClaimed(i, Outcome.IO_ERROR, r.detail(), 0, false);
            }
        } catch (RuntimeException | InternalError e) {
            t.finishIfClaimed(i, Outcome.IO_ERROR, tier.jobFailed(e));
        }
    }

    private void load(CacheTask t, int i, BlockKey key, List<MemorySegment> dst, int size) {
        if (!t.claim(i)) {
            return;
        }
        try {
            LoadResult r = tier.loadNow(key, dst, size);
            t.finishClaimed(i, r.outcome(), r.detail(), r.outcome() == Outcome.OK ? size : 0, false);
        } catch (RuntimeException | InternalError e) {
            t.finishIfClaimed(i, Outcome.IO_ERROR, tier.jobFailed(e));
        }
    }

    /** Waits for the tasks in flight, each at most until its deadline (plus a second). */
    void awaitOutstanding() {
        tracker.awaitOutstanding();
    }
}
