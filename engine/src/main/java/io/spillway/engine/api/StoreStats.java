package io.spillway.engine.api;

import java.util.Map;

/**
 * A snapshot of the store.
 *
 * @param blocks indexed blocks (RocksDB's estimate; exact after compaction)
 * @param segments segment files
 * @param allocatedBytes disk space the segments occupy (allocated blocks, not file lengths)
 * @param liveBytes payload bytes the index points at
 * @param directIo whether every backend uses O_DIRECT
 * @param counters lifetime counters (this process plus earlier ones, persisted at close)
 * @param latencyMillis p50 and p99 latencies of this process's dump, load and lookup calls
 * @param config the effective configuration
 */
public record StoreStats(long blocks, int segments, long allocatedBytes, long liveBytes, boolean directIo,
                         Map<String, Long> counters, Map<String, Double> latencyMillis, Map<String, String> config) {

    /** Fraction of lookups that hit, over the store's lifetime; NaN before any lookup. */
    public double hitRatio() {
        long hits = counters.getOrDefault("lookup.hits", 0L);
        long misses = counters.getOrDefault("lookup.misses", 0L);
        return hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses);
    }

    /**
     * Bytes written to segments over bytes users dumped, over the store's lifetime: 1 plus what
     * the GC copied (reinsertion, compaction) per user byte. NaN before any dump.
     */
    public double writeAmplification() {
        long user = counters.getOrDefault("dump.bytes", 0L);
        long gc = counters.getOrDefault("gc.bytes.written", 0L);
        return user == 0 ? Double.NaN : (double) (user + gc) / user;
    }
}
