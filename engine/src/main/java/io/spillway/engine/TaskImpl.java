package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
 * a timed-out load never writes into the destination. A block is recorded in {@link BlockTask}
 * (which completes the task with its last block) only by the call that moved it to DONE.
 */
final class TaskImpl extends BlockTask {

    static final int PENDING = 0;
    static final int CLAIMED = 1;
    static final int RELEASED = 2;
    static final int DONE = 3;

    private final AtomicIntegerArray state;
    private final AtomicBoolean allDurable = new AtomicBoolean(true);
    private final Consumer<TaskImpl> onComplete;
    private volatile TaskResult result;

    TaskImpl(long id, Kind kind, int blocks, Duration timeout, Consumer<TaskImpl> onComplete) {
        super(id, kind, blocks, timeout);
        this.state = new AtomicIntegerArray(blocks);
        this.onComplete = onComplete;
        if (blocks == 0) {
            complete();
        }
    }

    /** Takes block {@code i} from {@code from} to CLAIMED; false if the deadline (or an abort) took it. */
    boolean claim(int i, int from) {
        return state.compareAndSet(i, from, CLAIMED);
    }

    /** CLAIMED to RELEASED: the caller's memory is no longer read; slow IO may follow. */
    void release(int i) {
        if (!state.compareAndSet(i, CLAIMED, RELEASED)) {
            throw new IllegalStateException("block " + i + " of task " + id() + " released while not claimed");
        }
    }

    /** Finishes a block the caller holds CLAIMED. */
    void finishClaimed(int i, Outcome outcome, String detail, long movedBytes) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            throw new IllegalStateException("block " + i + " of task " + id() + " finished while not claimed");
        }
        record(i, outcome, detail, movedBytes, false);
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
                record(i, outcome, detail, 0, false);
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
        record(i, outcome, detail, 0, false);
    }

    /** A dump block that wrote nothing because its key was present or in flight. */
    boolean finishDeduplicated(int i, boolean durable) {
        if (state.compareAndSet(i, PENDING, DONE)) {
            if (!durable) {
                allDurable.set(false);
            }
            record(i, Outcome.OK, null, 0, true);
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
        for (int i = 0; i < size(); i++) {
            tryFinish(i, Outcome.TIMEOUT, deadlinePassed());
        }
    }

    /** Finishes every block the caller may still take with {@code outcome} (busy, closing). */
    void failAll(Outcome outcome, String detail) {
        for (int i = 0; i < size(); i++) {
            tryFinish(i, outcome, detail);
        }
    }

    @Override
    protected void complete() {
        result = newResult(kind() == Kind.D2S && allDurable.get() && anyOk());
        // The hook (metrics, running slot) runs before the caller is woken, so that what the
        // caller reads after await() already reflects this task; the future completes regardless.
        try {
            onComplete.accept(this);
        } finally {
            future().complete(result);
        }
    }

    /** The result once every block has finished (set just before the future completes), else null. */
    TaskResult result() {
        return result;
    }
}
