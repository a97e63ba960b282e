package io.spillway.engine;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the segment store's tasks ({@link TaskImpl}) and those of the DRAM tier and the pipeline
 * ({@code cache.CacheTask}) share: the id, kind and deadline; each block's outcome and detail; the
 * bytes moved and the blocks deduplicated; and the completion. Each subclass keeps its own block
 * state machine and calls {@link #record} for a block only once it has moved that block to its
 * final state, so every block is recorded exactly once; the call that records the last block runs
 * {@link #complete()}.
 *
 * <p>Public only so that {@code io.spillway.engine.cache} can extend it; not for other callers.
 */
public abstract class BlockTask implements Task {

    private final long id;
    private final Kind kind;
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final Outcome[] outcomes;
    private final String[] details;
    private final AtomicInteger remaining;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger deduplicated = new AtomicInteger();
    private final CompletableFuture<TaskResult> future = new CompletableFuture<>();

    /**
     * A task of {@code blocks} blocks whose deadline is {@code timeout} from now. A subclass with
     * no block runs {@link #complete()} at the end of its own constructor (not here: its own
     * fields are not set yet).
     */
    protected BlockTask(long id, Kind kind, int blocks, Duration timeout) {
        this.id = id;
        this.kind = kind;
        this.deadlineNanos = startNanos + timeout.toNanos();
        this.outcomes = new Outcome[blocks];
        this.details = new String[blocks];
        this.remaining = new AtomicInteger(blocks);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public int size() {
        return outcomes.length;
    }

    /** The deadline, on {@link System#nanoTime()}'s scale. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    protected long startNanos() {
        return startNanos;
    }

    /** The detail of a block the deadline took. */
    protected String deadlinePassed() {
        return "deadline of " + Duration.ofNanos(deadlineNanos - startNanos).toMillis() + " ms passed";
    }

    /**
     * Records block {@code i}'s outcome (its detail only if not OK, its bytes only if OK), once per
     * block, after the caller moved it to its final state; the last block completes the task.
     *
     * @param dedup whether the block wrote nothing because its key was present or in flight
     */
    protected final void record(int i, Outcome outcome, String detail, long movedBytes, boolean dedup) {
        outcomes[i] = outcome;
        details[i] = outcome == Outcome.OK ? null : detail;
        if (outcome == Outcome.OK) {
            bytes.addAndGet(movedBytes);
        }
        if (dedup) {
            deduplicated.incrementAndGet();
        }
        if (remaining.decrementAndGet() == 0) {
            complete();
        }
    }

    /**
     * Runs once, when every block has its outcome (on the thread that recorded the last one, or
     * in the constructor of a task of no blocks): builds the {@link #newResult} and completes {@link
     * #future()} with it.
     */
    protected abstract void complete();

    /** The outcome of block {@code i}, once recorded. */
    protected final Outcome outcome(int i) {
        return outcomes[i];
    }

    /** The detail of block {@code i}, once recorded (null for OK). */
    protected final String detail(int i) {
        return details[i];
    }

    /** Whether some block ended OK. */
    protected final boolean anyOk() {
        return Arrays.stream(outcomes).anyMatch(o -> o == Outcome.OK);
    }

    /** The result of the finished task, {@code durable} as the subclass decides it. */
    protected final TaskResult newResult(boolean durable) {
        return new TaskResult(id, kind, List.of(outcomes.clone()), new ArrayList<>(Arrays.asList(details.clone())),
                bytes.get(), deduplicated.get(), durable, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    @Override
    public CompletableFuture<TaskResult> future() {
        return future;
    }

    @Override
    public boolean isDone() {
        return future.isDone();
    }

    @Override
    public String toString() {
        return "Task(" + id + ", " + kind + ", " + outcomes.length + " blocks)";
    }

    /**
     * Waits for each of {@code tasks}, all together until {@code untilNanos} at most (each also
     * ends by its own deadline). Returns early, keeping the interrupt, if interrupted.
     */
    public static void awaitAll(Collection<? extends Task> tasks, long untilNanos) {
        for (Task t : List.copyOf(tasks)) {
            try {
                t.await(Duration.ofNanos(Math.max(0, untilNanos - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
