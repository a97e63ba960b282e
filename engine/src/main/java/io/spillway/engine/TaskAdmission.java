package io.spillway.engine;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.StoreConfig;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns dump and load calls into tasks: numbers them, hands them to the {@link TaskScheduler}
 * (waiting and running queues, deadlines), keeps the set of tasks not yet complete for the close
 * to wait on, and records each completed task's latency and timeouts.
 */
final class TaskAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(TaskAdmission.class);

    private final StoreConfig config;
    private final StoreMetrics metrics;
    private final TaskScheduler scheduler;
    private final Set<TaskImpl> outstanding = ConcurrentHashMap.newKeySet();
    private final AtomicLong taskIds = new AtomicLong();
    private volatile boolean stopped;

    /** Starts the scheduler's dispatcher and deadline threads. */
    TaskAdmission(StoreConfig config, StoreMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.scheduler = new TaskScheduler(config.waitingQueueDepth(), config.runningQueueDepth(), metrics);
    }

    /**
     * A new task of {@code blocks} blocks, queued to run {@code dispatch} on the scheduler's
     * thread; it completes at once with no block, or failed once admission stopped. Never blocks.
     */
    Task submit(Task.Kind kind, int blocks, Consumer<TaskImpl> dispatch) {
        AtomicInteger phase = new AtomicInteger();
        long id = taskIds.incrementAndGet();
        TaskImpl task = new TaskImpl(id, kind, blocks, config.timeout(), t -> onComplete(t, phase));
        if (blocks == 0) {
            return task;
        }
        outstanding.add(task);
        if (task.isDone()) {
            outstanding.remove(task);
        }
        if (stopped) {
            task.failAll(Outcome.IO_ERROR, "the store is closed");
            return task;
        }
        scheduler.submit(task, () -> dispatch.accept(task), phase);
        return task;
    }

    private void onComplete(TaskImpl task, AtomicInteger phase) {
        scheduler.finished(phase);
        outstanding.remove(task);
        TaskResult r = task.result();
        if (r == null) {
            return;
        }
        (task.kind() == Task.Kind.D2S ? metrics.dumpLatency : metrics.loadLatency).record(r.elapsed());
        int timeouts = r.counts().getOrDefault(Outcome.TIMEOUT, 0);
        if (timeouts > 0) {
            metrics.timeouts.increment(timeouts);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("Task({}, {}, {}, {}) finished, elapsed {} s", task.id(), task.kind(), task.size(), r.bytes(),
                    String.format("%.6f", r.elapsed().toNanos() / 1e9));
        }
    }

    /** Admits no more tasks: later ones fail at once; queued ones are still dispatched. */
    void stopAdmitting() {
        stopped = true;
        scheduler.stopAdmitting();
    }

    /**
     * Waits for every task not yet complete, all together until {@code untilNanos} at most (each
     * also ends by its own deadline). Returns early, keeping the interrupt, if interrupted.
     */
    void awaitOutstanding(long untilNanos) {
        BlockTask.awaitAll(outstanding, untilNanos);
    }

    /** Stops the scheduler's threads; tasks still queued fail. */
    void close() throws InterruptedException {
        scheduler.close();
    }
}
