package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A task's blocks and their state machine. Every block moves
 * <pre>
 *   PENDING ──claim──► CLAIMED ──release──► RELEASED ──claim──► CLAIMED ──► DONE
 *      │                                       │
 *      └────────── deadline / abort ───────────┴──────────────────────────► DONE
 * </pre>
 * CLAIMED means an IO thread is touching the caller's memory right now (copying a dump's source
 * into staging, or a verified load into its destination): a deadline never takes a block in that
 * state, so the caller never gets its buffer back while we still use it. Those copies are
 * memcpys and cannot hang. Everything that can hang (a write, a sync, a read into our own bounce
 * buffer) happens in PENDING or RELEASED, where the deadline takes the block, and the IO thread
 * that comes back later finds it DONE and discards its work: a timed-out dump is never indexed,
 * a timed-out load never writes into the destination.
 */
final class TaskImpl implements Task {

    static final int PENDING = 0;
    static final int CLAIMED = 1;
    static final int RELEASED = 2;
    static final int DONE = 3;

    private final long id;
    private final Kind kind;
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final AtomicIntegerArray state;
    private final Outcome[] outcomes;
    private final String[] details;
    private final AtomicInteger remaining;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger deduplicated = new AtomicInteger();
    private final AtomicBoolean allDurable = new AtomicBoolean(true);
    private final CompletableFuture<TaskResult> future = new CompletableFuture<>();
    private final Consumer<TaskImpl> onComplete;
    private volatile TaskResult result;

    TaskImpl(long id, Kind kind, int blocks, Duration timeout, Consumer<TaskImpl> onComplete) {
        this.id = id;
        this.kind = kind;
        this.deadlineNanos = startNanos + timeout.toNanos();
        this.state = new AtomicIntegerArray(blocks);
        this.outcomes = new Outcome[blocks];
        this.details = new String[blocks];
        this.remaining = new AtomicInteger(blocks);
        this.onComplete = onComplete;
        if (blocks == 0) {
            complete();
        }
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

    long deadlineNanos() {
        return deadlineNanos;
    }

    long startNanos() {
        return startNanos;
    }

    /** Takes block {@code i} from {@code from} to CLAIMED; false if the deadline (or an abort) took it. */
    boolean claim(int i, int from) {
        return state.compareAndSet(i, from, CLAIMED);
    }

    /** CLAIMED to RELEASED: the caller's memory is no longer read; slow IO may follow. */
    void release(int i) {
        if (!state.compareAndSet(i, CLAIMED, RELEASED)) {
            throw new IllegalStateException("block " + i + " of task " + id + " released while not claimed");
        }
    }

    /** Finishes a block the caller holds CLAIMED. */
    void finishClaimed(int i, Outcome outcome, String detail, long movedBytes) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            throw new IllegalStateException("block " + i + " of task " + id + " finished while not claimed");
        }
        record(i, outcome, detail, movedBytes);
    }

    /**
     * Finishes a block from PENDING or RELEASED (where nobody touches the caller's memory), unless
     * it is already DONE or CLAIMED by someone else.
     *
     * @return whether this call finished it
     */
    boolean tryFinish(int i, Outcome outcome, String detail) {
        while (true) {
            int s = state.get(i);
            if (s == DONE || s == CLAIMED) {
                return false;
            }
            if (state.compareAndSet(i, s, DONE)) {
                record(i, outcome, detail, 0);
                return true;
            }
        }
    }

    /**
     * Finishes a block this thread may hold CLAIMED (it claimed it earlier) or that sits in
     * PENDING or RELEASED; a block already DONE is left alone.
     */
    void finishOwned(int i, Outcome outcome, String detail) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            tryFinish(i, outcome, detail);
            return;
        }
        record(i, outcome, detail, 0);
    }

    /** A dump block that wrote nothing because its key was present or in flight. */
    boolean finishDeduplicated(int i, boolean durable) {
        if (state.compareAndSet(i, PENDING, DONE)) {
            deduplicated.incrementAndGet();
            if (!durable) {
                allDurable.set(false);
            }
            record(i, Outcome.OK, null, 0);
            return true;
        }
        return false;
    }

    void markNotDurable() {
        allDurable.set(false);
    }

    boolean isPending(int i) {
        return state.get(i) == PENDING;
    }

    boolean isFinished(int i) {
        return state.get(i) == DONE;
    }

    /** Times out every block the deadline may take. */
    void expire() {
        for (int i = 0; i < outcomes.length; i++) {
            tryFinish(i, Outcome.TIMEOUT, "deadline of " + Duration.ofNanos(deadlineNanos - startNanos).toMillis() + " ms passed");
        }
    }

    /** Finishes every block the caller may still take with {@code outcome} (busy, closing). */
    void failAll(Outcome outcome, String detail) {
        for (int i = 0; i < outcomes.length; i++) {
            tryFinish(i, outcome, detail);
        }
    }

    private void record(int i, Outcome outcome, String detail, long movedBytes) {
        outcomes[i] = outcome;
        details[i] = outcome == Outcome.OK ? null : detail;
        if (outcome == Outcome.OK) {
            bytes.addAndGet(movedBytes);
        }
        if (remaining.decrementAndGet() == 0) {
            complete();
        }
    }

    private void complete() {
        boolean durable = kind == Kind.D2S && allDurable.get() && Arrays.stream(outcomes).anyMatch(o -> o == Outcome.OK);
        result = new TaskResult(id, kind, List.of(outcomes.clone()), new ArrayList<>(Arrays.asList(details.clone())),
                bytes.get(), deduplicated.get(), durable, Duration.ofNanos(System.nanoTime() - startNanos));
        // The hook (metrics, running slot) runs before the caller is woken, so that what the
        // caller reads after await() already reflects this task; the future completes regardless.
        try {
            onComplete.accept(this);
        } finally {
            future.complete(result);
        }
    }

    /** The result once every block has finished (set just before the future completes), else null. */
    TaskResult result() {
        return result;
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
}
