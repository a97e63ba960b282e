package io.spillway.engine.config;

/** {@code cache_eviction_policy}: which block the DRAM tier evicts first when it is full. */
public enum CacheEvictionPolicy {
    /** S3-FIFO: a small probationary FIFO, a main FIFO with reinsertion, and a ghost queue. */
    S3FIFO,
    /** Exact LRU. */
    LRU;

    /** The config spelling, lower case. */
    public String configName() {
        return ConfigTypes.enumOf(CacheEvictionPolicy.class).show(this);
    }
}
