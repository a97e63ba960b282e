package io.spillway.engine.policy;

/**
 * Decides whether a block of an item chosen for eviction is kept (copied forward into a new
 * segment, or given a second chance in DRAM) instead of dropped with it. CacheLib Navy's
 * hits-based reinsertion: hot blocks survive the eviction of their region, so FIFO eviction keeps
 * the hit ratio of LRU at a write amplification near 1.
 */
public interface ReinsertionPolicy {

    /** Never keeps anything. */
    ReinsertionPolicy NEVER = (hits, bytes) -> false;

    /**
     * @param hits how often the block was read since it was written
     * @param bytes the block's size
     * @return whether to keep it; a true answer counts against the policy's budget, if any
     */
    boolean reinsert(int hits, long bytes);
}
