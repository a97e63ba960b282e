package io.spillway.engine.cache;

import io.spillway.engine.api.Outcome;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that copy blocks in and out of DRAM, with a bounded queue (a full queue makes the
 * block BUSY: the caller never waits), and the timer that expires tasks at their deadline.
 */
final class CopyPool implements AutoCloseable {

    private final ThreadPoolExecutor copiers;
    private final ScheduledThreadPoolExecutor timer;
    private final Thread anyCopier;

    CopyPool(String name, int threads, int queueBlocks) {
        AtomicInteger n = new AtomicInteger();
        copiers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueBlocks),
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

    /** Queues {@code work}; false if the queue is full (or the pool is shut down). */
    boolean execute(Runnable work) {
        try {
            copiers.execute(work);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Expires {@code task}'s pending blocks at its deadline, unless it completes first. */
    void arm(CacheTask task) {
        long delay = Math.max(0, task.deadlineNanos() - System.nanoTime());
        try {
            ScheduledFuture<?> f = timer.schedule(task::expire, delay, TimeUnit.NANOSECONDS);
            task.future().whenComplete((r, e) -> f.cancel(false));
        } catch (RejectedExecutionException e) {
            task.failAll(Outcome.IO_ERROR, "the store is closed");
        }
    }

    /** Queued blocks plus those being copied. */
    int backlog() {
        return copiers.getQueue().size() + copiers.getActiveCount();
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
