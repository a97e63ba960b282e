package io.spillway.engine.api;

/** What happened to one block of a task. A task never throws for a single bad block. */
public enum Outcome {
    /** Dump: written (or already present, see {@link TaskResult#deduplicated()}). Load: the exact bytes were delivered. */
    OK,
    /** Load: the block is not in the store. */
    MISSING,
    /** Load: the stored bytes failed their checksum; nothing was delivered and the index entry was removed. */
    CORRUPT,
    /** The task's deadline passed before this block finished. A dump that timed out never becomes visible. */
    TIMEOUT,
    /** The IO failed (the detail says how); for a dump, the block was not stored. */
    IO_ERROR,
    /** The waiting queue was full; nothing was done. Dumps into a cache may be dropped, so this fails fast. */
    BUSY,
    /** The store has no space left for this dump. Loads keep working. */
    STORE_FULL,
    /** A manual-commit dump that was rolled back by {@code commit(keys, false)} before it finished. */
    ABORTED;

    /** Whether the block ended well. */
    public boolean ok() {
        return this == OK;
    }
}
