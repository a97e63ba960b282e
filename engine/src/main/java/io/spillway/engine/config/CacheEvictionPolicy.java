package io.spillway.engine.config;

/** {@code cache_eviction_policy}: which block the DRAM tier evicts first when it is full. */
public enum CacheEvictionPolicy implements LowerCaseName {
    /** S3-FIFO: a small probationary FIFO, a main FIFO with reinsertion, and a ghost queue. */
    S3FIFO,
    /** Exact LRU. */
    LRU;
}
