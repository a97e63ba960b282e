package io.spillway.engine.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A submitted dump or load. It always completes: with every block's outcome, or at its deadline
 * ({@code timeout_ms}) with {@link Outcome#TIMEOUT} for the blocks still unfinished, even if the
 * IO under it hangs.
 */
public interface Task {

    /** Direction of a task, named as the seeds' task log lines name them. */
    enum Kind {
        /** Device to storage: a dump. */
        D2S,
        /** Storage to device: a load. */
        S2D
    }

    long id();

    Kind kind();

    /** Number of blocks. */
    int size();

    /**
     * Waits up to {@code timeout} for the task, and at most until its deadline.
     *
     * @return the result, or null if {@code timeout} passed first (the task goes on)
     */
    default TaskResult await(Duration timeout) throws InterruptedException {
        try {
            return future().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("task futures never fail", e);
        }
    }

    /** Waits until the task completes (never past its deadline). */
    default TaskResult await() throws InterruptedException {
        try {
            return future().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("task futures never fail", e);
        }
    }

    /** Completes with the result; never completes exceptionally. */
    CompletableFuture<TaskResult> future();

    /**
     * For a dump: completes when the blocks this task stored are durable on the store's last tier,
     * or have failed to get there; never completes exceptionally.
     *
     * <p>Most stores write to their durable tier before {@link #future()} completes, and this is
     * that same future (the default). A store with a write-back tier (the {@code Cache|Disk}
     * pipeline) completes {@link #future()} when the blocks are <em>cached</em> (loadable, but lost
     * with a host reboot) and this one when they are written back: its result has one outcome per
     * block for the write-back and {@link TaskResult#durable()} true when every OK block is on the
     * durable tier. For a load it is the same as {@link #future()}.
     */
    default CompletableFuture<TaskResult> whenDurable() {
        return future();
    }

    boolean isDone();
}
