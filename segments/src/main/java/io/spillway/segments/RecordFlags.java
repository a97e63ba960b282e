package io.spillway.segments;

/**
 * Bits of a record's flags byte (in record headers, footer entries and index values).
 *
 * <p>Visibility is decided by the index alone: a block is visible when the index points at its
 * record, and the index entry is written (and, under durability {@code batch} or
 * {@code always}, synced) only after the record's data is durable. Recovery never makes a record
 * visible from the segment alone, because the segment cannot tell an acknowledged dump from one
 * that failed, timed out, was aborted or was deleted after it was written.
 */
public final class RecordFlags {

    /** The record was written under auto-commit (informational: which mode wrote it). */
    public static final int AUTO_COMMIT = 1;

    /**
     * Footer entries only: the index did not point at this record when the footer was written
     * (its dump failed, timed out, was rolled back, was deleted, or awaited a manual commit).
     * Rebuilding the index from footers skips such records.
     */
    public static final int NOT_LIVE = 2;

    private RecordFlags() {
    }
}
