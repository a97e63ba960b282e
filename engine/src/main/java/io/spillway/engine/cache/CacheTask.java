package io.spillway.engine.cache;

import io.spillway.engine.BlockTask;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A task of the cache tier or the pipeline. Each block moves
 * <pre>
 *   PENDING ──claim──► CLAIMED ──► DONE          (a copy job: the copy is a memcpy, it cannot hang)
 *   PENDING ──────────────────────► DONE          (deadline, busy, the disk tier's answer)
 * </pre>
 * A copy thread claims a block before it touches the caller's buffer, so a block the deadline
 * took is never copied afterwards, and after the task completes nothing touches its buffers.
 *
 * <p><b>Who copies.</b> Each block's copy job is queued on the {@link CopyPool} through {@link
 * #submit} and kept here; whoever takes it first runs it, exactly once: a copy thread, or a caller
 * waiting in {@link #await}, which runs the jobs not yet taken on its own thread before it blocks
 * (as a fork/join task helps with what it joins). A caller that waits for a DRAM hit so copies it
 * itself instead of paying two thread wake-ups (the copy thread's, then its own) per task; a
 * caller that does not wait leaves every copy to the pool. The job still claims its block, so the
 * deadline and the disk tier's answer race it as before.
 *
 * <p><b>Cached and durable.</b> {@link #future()} completes when every block has its outcome: for
 * a dump, OK means the block is cached (loadable). {@link #whenDurable()} completes later, when
 * the blocks this dump stored have been written back to the disk tier (or failed to be): its
 * result has one outcome per block for the write-back and {@code durable()} true when every OK
 * block is on the disk tier. For a task with nothing to write back it is the same result as
 * {@link #future()}'s.
 */
final class CacheTask extends BlockTask {

    static final int PENDING = 0;
    static final int CLAIMED = 1;
    static final int DONE = 2;

    private final AtomicIntegerArray state;
    private final boolean[] durable;
    private final DurableResult durability;
    private final boolean writeBack;
    private final AtomicReferenceArray<Runnable> jobs;
    private final CopyPool pool;

    /**
     * @param writeBack whether the OK blocks of this dump are settled later by a write-back (the
     *     pipeline); false settles every block's durability when the task completes
     * @param pool the copy threads its jobs are queued for
     */
    CacheTask(long id, Kind kind, int blocks, Duration timeout, boolean writeBack, CopyPool pool) {
        super(id, kind, blocks, timeout);
        this.pool = pool;
        this.state = new AtomicIntegerArray(blocks);
        this.durable = new boolean[blocks];
        this.jobs = new AtomicReferenceArray<>(blocks);
        this.durability = new DurableResult(id, kind, blocks, startNanos());
        this.writeBack = writeBack && kind == Kind.D2S;
        if (blocks == 0) {
            complete();
        }
    }

    /**
     * Queues block {@code i}'s copy job for the copy threads and keeps it for a waiting caller:
     * see "Who copies". False if {@link CopyPool#reserve} refused it (the pool's queue is full);
     * then nobody runs it, and the caller settles the block another way.
     */
    boolean submit(int i, Runnable job) {
        if (!pool.reserve()) {
            return false;
        }
        jobs.set(i, job);
        if (pool.execute(() -> runJob(i))) {
            return true;
        }
        // Shut down: no copy thread has it, and no other thread can see this task yet.
        jobs.set(i, null);
        pool.taken();
        return false;
    }

    /** Runs block {@code i}'s job unless another thread took it. */
    private void runJob(int i) {
        Runnable job = jobs.getAndSet(i, null);
        if (job != null) {
            pool.taken();
            job.run();
        }
    }

    /**
     * Runs on this thread the jobs no copy thread has taken yet, until {@code untilNanos}: a job
     * is a copy of one block, so this returns at most one block's copy after that time.
     */
    private void help(long untilNanos) {
        for (int i = 0; i < size() && !isDone(); i++) {
            if (untilNanos - System.nanoTime() <= 0) {
                return;
            }
            runJob(i);
        }
    }

    @Override
    public TaskResult await(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long wait = Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        help(start + wait);
        return super.await(Duration.ofNanos(Math.max(0, wait - (System.nanoTime() - start))));
    }

    @Override
    public TaskResult await() throws InterruptedException {
        help(System.nanoTime() + Long.MAX_VALUE / 4);
        return super.await();
    }

    /** PENDING to CLAIMED; false if the block is already done (the deadline took it). */
    boolean claim(int i) {
        return state.compareAndSet(i, PENDING, CLAIMED);
    }

    /**
     * CLAIMED back to PENDING: this thread found nothing to copy and did not touch the caller's
     * buffer (a DRAM miss), and hands the block to another path (the disk tier) that the deadline
     * may still overtake.
     */
    void unclaim(int i) {
        if (!state.compareAndSet(i, CLAIMED, PENDING)) {
            throw new IllegalStateException("block " + i + " of task " + id() + " unclaimed while not claimed");
        }
    }

    /** Finishes a block this thread claimed. */
    void finishClaimed(int i, Outcome o, String detail, long moved, boolean isDurable) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            throw new IllegalStateException("block " + i + " of task " + id() + " finished while not claimed");
        }
        record(i, o, detail, moved, isDurable, false);
    }

    /**
     * Finishes a block this thread claimed, if it still is: the guard of a copy job that threw
     * (an arena fault is delivered as an {@link InternalError}, in compiled code possibly well
     * after the faulting copy), so that no block stays claimed, and its task unfinished, forever.
     */
    boolean finishIfClaimed(int i, Outcome o, String detail) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            return false;
        }
        record(i, o, detail, 0, false, false);
        return true;
    }

    /** Whether block {@code i} is claimed by a copy thread. */
    boolean isClaimed(int i) {
        return state.get(i) == CLAIMED;
    }

    /** Finishes a PENDING block (deadline, busy, an answer from the disk tier); false if it was not pending. */
    boolean tryFinish(int i, Outcome o, String detail, long moved, boolean isDurable) {
        if (!state.compareAndSet(i, PENDING, DONE)) {
            return false;
        }
        record(i, o, detail, moved, isDurable, false);
        return true;
    }

    /** A claimed dump block that stored nothing because the key is present or in flight. */
    void finishClaimedDeduplicated(int i, boolean isDurable) {
        if (!state.compareAndSet(i, CLAIMED, DONE)) {
            throw new IllegalStateException("block " + i + " of task " + id() + " finished while not claimed");
        }
        record(i, Outcome.OK, null, 0, isDurable, true);
    }

    /** A pending dump block that stored nothing because the key is present (or in flight); false if not pending. */
    boolean finishDeduplicated(int i, boolean isDurable) {
        if (!state.compareAndSet(i, PENDING, DONE)) {
            return false;
        }
        record(i, Outcome.OK, null, 0, isDurable, true);
        return true;
    }

    boolean isPending(int i) {
        return state.get(i) == PENDING;
    }

    /** Times out every block still pending. */
    void expire() {
        for (int i = 0; i < size(); i++) {
            tryFinish(i, Outcome.TIMEOUT, deadlinePassed(), 0, false);
        }
    }

    void failAll(Outcome o, String detail) {
        for (int i = 0; i < size(); i++) {
            tryFinish(i, o, detail, 0, false);
        }
    }

    /** The write-back side of a dump: one outcome per block, completed by the pipeline's writers. */
    DurableResult durability() {
        return durability;
    }

    /** Notes whether block {@code i} is durable, then records it (the durability is read at completion). */
    private void record(int i, Outcome o, String detail, long moved, boolean isDurable, boolean dedup) {
        durable[i] = isDurable;
        record(i, o, detail, moved, dedup);
    }

    @Override
    protected void complete() {
        boolean allDurable = kind() == Kind.D2S && anyOk();
        for (int i = 0; i < size() && allDurable; i++) {
            allDurable = outcome(i) != Outcome.OK || durable[i];
        }
        TaskResult r = newResult(allDurable);
        // Blocks that were already durable, or not stored, have their write-back answer now (all
        // of them when nothing is written back).
        for (int i = 0; i < size(); i++) {
            if (!writeBack || outcome(i) != Outcome.OK || durable[i]) {
                durability.settle(i, outcome(i), detail(i), durable[i]);
            }
        }
        future().complete(r);
    }

    @Override
    public CompletableFuture<TaskResult> whenDurable() {
        return durability.future();
    }
}
