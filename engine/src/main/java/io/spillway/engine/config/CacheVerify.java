package io.spillway.engine.config;

/**
 * {@code cache_verify}: how a DRAM hit's CRC32C is checked. Every mode checks the slot's sequence
 * number before and after the copy; the CRC adds what the disk tier guarantees (a flipped bit or
 * a foreign scribble in the arena is never served as OK).
 */
public enum CacheVerify {
    /**
     * Chunk by chunk as the block is copied out, each chunk CRCed while it is in the CPU cache:
     * the block is read from DRAM once, as a plain copy does. A CORRUPT block has reached the
     * destination (reported CORRUPT, never OK). The default.
     */
    WHILE_COPYING,
    /**
     * The whole block before any byte is copied: a CORRUPT block leaves the destination
     * untouched, at the price of a second read of the block.
     */
    BEFORE_COPYING,
    /** No CRC on hits (the sequence numbers still rule out torn reads). */
    OFF;

    /** Whether hits are checked at all. */
    public boolean checks() {
        return this != OFF;
    }
}
