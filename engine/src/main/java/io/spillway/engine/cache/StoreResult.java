package io.spillway.engine.cache;

/**
 * The result of storing one block in the DRAM tier ({@link CacheTier#storeNow}); {@code slot}
 * and {@code generation} are set when {@link Kind#STORED}.
 */
record StoreResult(Kind kind, Slot slot, long generation, String detail) {

    /** What the store did. */
    enum Kind { STORED, DELETED_MEANWHILE, PRESENT, PRESENT_DURABLE, FULL, TOO_LARGE, FAILED }
}
