package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;

/** The owner's in-memory view of one arena slot. Guarded by the {@link SlotTable}'s lock. */
final class Slot {

    final int index;
    SlotState state = SlotState.FREE;
    BlockKey key;
    int length;
    int crc;
    /** The slot's sequence number the cached bytes belong to (even). */
    long generation;
    long writtenAt;
    long lastAccess;
    /** {@link #lastAccess} as last written to the index. */
    long lastAccessIndexed;
    /** Loads of this process copying out of the slot now; a pinned slot is never evicted. */
    int pins;
    /** A write-back writer is reading the slot now. */
    boolean writingBack;
    /** The write-back failed for good: the block stays DIRTY but may be evicted (and is then lost). */
    boolean writeBackGaveUp;
    /** Deleted while pinned, being written or being written back: freed when that ends. */
    boolean deleteRequested;

    Slot(int index) {
        this.index = index;
    }

    /** The index entry of the block it holds (DIRTY or CLEAN). */
    IndexEntry entry() {
        return new IndexEntry(index, length, crc, state, generation, lastAccess);
    }

    void clear() {
        state = SlotState.FREE;
        key = null;
        length = 0;
        crc = 0;
        pins = 0;
        writingBack = false;
        writeBackGaveUp = false;
        deleteRequested = false;
    }

    @Override
    public String toString() {
        return "slot " + index + " " + state + (key == null ? "" : " " + key.shortHex()) + " gen " + generation;
    }
}
