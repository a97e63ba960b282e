package io.spillway.engine.cache;

import io.spillway.engine.BlockTask;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tasks of the DRAM tier or the pipeline: each gets an id, and is tracked until it completes,
 * so that a sweep on the copy pool's timer can expire it at its deadline and a close can let the
 * tasks in flight finish. The sweep runs every {@link #SWEEP}: a task times out at most that much
 * after its deadline.
 */
final class TaskTracker {

    private final CopyPool pool;
    private final Duration timeout;
    private final AtomicLong ids = new AtomicLong();
    private final Set<CacheTask> outstanding = ConcurrentHashMap.newKeySet();

    /** How often the deadlines are checked. */
    static final Duration SWEEP = Duration.ofMillis(10);

    TaskTracker(CopyPool pool, Duration timeout) {
        this.pool = pool;
        this.timeout = timeout;
        pool.every(SWEEP, this::expireDue);
    }

    /** Expires the pending blocks of every task whose deadline has passed. */
    private void expireDue() {
        long now = System.nanoTime();
        for (CacheTask t : outstanding) {
            if (now - t.deadlineNanos() >= 0) {
                t.expire();
            }
        }
    }

    /**
     * A new task, armed with its deadline; already failed if the store is {@code closed}.
     *
     * @param writesBack whether its OK blocks are settled later by a write-back ({@link CacheTask})
     */
    CacheTask start(Task.Kind kind, int blocks, boolean writesBack, boolean closed) {
        CacheTask t = new CacheTask(ids.incrementAndGet(), kind, blocks, timeout, writesBack, pool);
        if (closed) {
            t.failAll(Outcome.IO_ERROR, "the store is closed");
            return t;
        }
        outstanding.add(t);
        t.future().whenComplete((r, e) -> outstanding.remove(t));
        return t;
    }

    /** Waits for the tasks in flight, each at most until its deadline (plus a second). */
    void awaitOutstanding() {
        BlockTask.awaitAll(outstanding, System.nanoTime() + timeout.toNanos() + 1_000_000_000L);
    }
}
