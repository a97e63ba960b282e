package io.spillway.engine.cache;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that copy blocks in and out of DRAM, with a bounded backlog (a full one makes the
 * block BUSY: the caller never waits), and the timer that expires tasks at their deadline.
 *
 * <p>The bound counts jobs that nobody has taken yet ({@link #reserve}, {@link #taken}), not
 * entries of the executor's queue: a caller that waits for its task runs the task's jobs itself
 * ({@link CacheTask}), which leaves their queue entries empty until a copy thread drains them, and
 * those must not make later blocks BUSY. The queue itself is therefore unbounded; what it holds
 * beyond the bound are empty entries, each drained in well under a microsecond.
 */
final class CopyPool implements AutoCloseable {

    private final ThreadPoolExecutor copiers;
    private final ScheduledThreadPoolExecutor timer;
    private final Thread anyCopier;
    private final int capacity;
    private final AtomicInteger waiting = new AtomicInteger();

    /** @param queueBlocks jobs waiting for a copy thread before {@link #reserve} refuses more */
    CopyPool(String name, int threads, int queueBlocks) {
        this.capacity = queueBlocks;
        AtomicInteger n = new AtomicInteger();
        copiers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name(name + "-copy-" + n.incrementAndGet()).daemon(true).unstarted(r),
                new ThreadPoolExecutor.AbortPolicy());
        Thread[] first = new Thread[1];
        copiers.prestartAllCoreThreads();
        try {
            copiers.submit(() -> first[0] = Thread.currentThread()).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            copiers.shutdownNow();
            throw new IllegalStateException("the copy threads did not start", e);
        }
        anyCopier = first[0];
        timer = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().name(name + "-deadlines").daemon(true).unstarted(r));
        timer.setRemoveOnCancelPolicy(true);
    }

    /** One of the copy threads: buffers must be reachable from it. */
    Thread ioThread() {
        return anyCopier;
    }

    /**
     * Takes one place in the backlog for a job about to be queued; false if {@code queueBlocks}
     * jobs are waiting already. Whoever later takes the job gives the place back ({@link #taken}).
     */
    boolean reserve() {
        if (waiting.incrementAndGet() > capacity) {
            waiting.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A reserved job was taken (to run it, or because it was never queued). */
    void taken() {
        waiting.decrementAndGet();
    }

    /** Queues {@code work} (its place reserved first); false if the pool is shut down. */
    boolean execute(Runnable work) {
        try {
            copiers.execute(work);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Runs {@code sweep} every {@code period} on the timer thread, until the pool closes: the
     * deadline sweep of a {@link TaskTracker}. One periodic sweep rather than a timer entry per
     * task, which cost every DRAM hit a wake-up of the timer thread (its queue's new head) and a
     * removal when the task completed first, as it nearly always does.
     */
    void every(Duration period, Runnable sweep) {
        timer.scheduleWithFixedDelay(sweep, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        copiers.shutdown();
        if (!copiers.awaitTermination(10, TimeUnit.SECONDS)) {
            copiers.shutdownNow();
        }
        timer.shutdownNow();
    }
}
