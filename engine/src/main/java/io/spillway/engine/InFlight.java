package io.spillway.engine;

import io.spillway.segments.RecordKey;

/**
 * The claim a dump holds on a key from dispatch until its index entry is written: a second dump
 * of the same key finds it and writes nothing.
 *
 * <p>{@code commitIntent} and {@code deleted} are read and written only under the store's
 * publish lock (see {@link Publisher}), so a delete or commit that arrives while the block is
 * being written is applied exactly once: either before the writer publishes (and the writer
 * honours it) or after (and the index already shows the block).
 */
final class InFlight {

    enum CommitIntent { NONE, COMMIT, ABORT }

    final RecordKey key;
    /** The dump block that holds the claim. */
    final TaskImpl task;
    final int block;
    CommitIntent commitIntent = CommitIntent.NONE;
    boolean deleted;

    InFlight(RecordKey key, TaskImpl task, int block) {
        this.key = key;
        this.task = task;
        this.block = block;
    }

    /**
     * Whether the claim is dead although still registered: its block already finished (by its
     * deadline, say) while the write under it is stuck. A published block leaves the in-flight
     * map before its block finishes, so a finished holder means nothing will be published.
     */
    boolean stale() {
        return task.isFinished(block);
    }
}
