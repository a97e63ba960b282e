package io.spillway.engine;

import io.spillway.engine.api.Outcome;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission, backpressure and deadlines for tasks (the seeds' waiting and running queues).
 *
 * <ul>
 *   <li><b>Waiting queue</b> ({@code waiting_queue_depth}): tasks accepted but not started. When
 *       it is full a new task completes at once as {@link Outcome#BUSY}; the caller never blocks.
 *   <li><b>Running queue</b> ({@code running_queue_depth}): tasks dispatched to the IO threads at
 *       once. The dispatcher thread, not the caller, waits for a running slot.
 *   <li><b>Deadline</b> ({@code timeout_ms}): a timer expires the task's unfinished blocks, in
 *       the queue or in flight, whatever the IO under them is doing.
 * </ul>
 */
final class TaskScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TaskScheduler.class);

    /** A task and what dispatching it means. */
    record Job(TaskImpl task, Runnable dispatch, AtomicInteger phase) {
        static final int QUEUED = 0;
        static final int RUNNING = 1;
        static final int FINISHED = 2;
    }

    private final BlockingQueue<Job> waiting;
    private final Semaphore running;
    private final ScheduledExecutorService timer;
    private final Thread dispatcher;
    private final StoreMetrics metrics;
    private volatile boolean closed;

    TaskScheduler(int waitingDepth, int runningDepth, StoreMetrics metrics) {
        this.waiting = new ArrayBlockingQueue<>(waitingDepth);
        this.running = new Semaphore(runningDepth);
        this.metrics = metrics;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().name("spillway-deadlines").daemon(true).unstarted(r));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        this.dispatcher = Thread.ofPlatform().name("spillway-dispatch").daemon(true).start(this::dispatchLoop);
    }

    /**
     * Admits a task: queues it with its dispatch action and arms its deadline, or completes it as
     * busy. Never blocks.
     *
     * @return the phase cell the task's completion hook must pass to {@link #finished}
     */
    void submit(TaskImpl task, Runnable dispatch, AtomicInteger phase) {
        if (closed) {
            task.failAll(Outcome.IO_ERROR, "the store is closed");
            return;
        }
        Job job = new Job(task, dispatch, phase);
        if (!waiting.offer(job)) {
            metrics.busy.increment();
            task.failAll(Outcome.BUSY, "waiting queue full (" + (waiting.size() + waiting.remainingCapacity()) + " tasks)");
            return;
        }
        long delay = task.deadlineNanos() - System.nanoTime();
        ScheduledFuture<?> expiry = timer.schedule(task::expire, Math.max(0, delay), TimeUnit.NANOSECONDS);
        task.future().whenComplete((r, e) -> expiry.cancel(false));
    }

    /** Called when a task completes: frees its running slot if it had one. */
    void finished(AtomicInteger phase) {
        if (phase.getAndSet(Job.FINISHED) == Job.RUNNING) {
            running.release();
        }
    }

    private void dispatchLoop() {
        while (!closed || !waiting.isEmpty()) {
            Job job;
            try {
                job = waiting.poll(50, TimeUnit.MILLISECONDS);
                if (job == null) {
                    continue;
                }
                if (job.task().isDone()) {
                    continue;
                }
                running.acquire();
            } catch (InterruptedException e) {
                break;
            }
            if (!job.phase().compareAndSet(Job.QUEUED, Job.RUNNING)) {
                running.release(); // it completed (deadline) while we waited for the slot
                continue;
            }
            try {
                job.dispatch().run();
            } catch (RuntimeException e) {
                LOG.error("dispatching {} failed", job.task(), e);
                job.task().failAll(Outcome.IO_ERROR, "dispatch failed: " + e);
            }
        }
    }

    /** Stops admitting; queued tasks are still dispatched. */
    void stopAdmitting() {
        closed = true;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        dispatcher.join(5000);
        if (dispatcher.isAlive()) {
            dispatcher.interrupt();
        }
        for (Job j; (j = waiting.poll()) != null; ) {
            j.task().failAll(Outcome.IO_ERROR, "the store closed");
        }
        timer.shutdownNow();
    }
}
