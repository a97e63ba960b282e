package io.spillway.engine.cache;

import io.spillway.engine.api.StoreStats;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code Cache|Disk} pipeline's stats: the disk tier's, with the DRAM tier's gauges and state added. */
final class PipelineStats {

    private PipelineStats() {
    }

    /**
     * The disk tier's stats, whose counters include the DRAM tier's ({@code cache.*},
     * {@code writeback.*}: one registry), plus the DRAM tier's current block count, dirty blocks,
     * write-back queue depth and lag, and its state ({@code cache.state}).
     *
     * @param cache null when the DRAM tier could not be opened, for {@code problem}
     */
    static StoreStats of(StoreStats disk, CacheTier cache, WriteBack writeBack, String problem) {
        Map<String, Long> counters = new LinkedHashMap<>(disk.counters());
        Map<String, String> described = new LinkedHashMap<>(disk.config());
        if (cache != null) {
            counters.putAll(cache.cacheMetrics().counters());
            counters.put("cache.blocks", (long) cache.table().cachedBlocks());
            counters.put("cache.dirty", (long) cache.table().dirtyBlocks());
            counters.put("writeback.queue", (long) writeBack.depth());
            counters.put("writeback.lag.ms", writeBack.lagMillis());
        }
        described.put("cache.state", cache == null ? "unavailable: " + problem
                : cache.available() ? "serving" : "stopped: " + cache.failure());
        return new StoreStats(disk.blocks(), disk.segments(), disk.allocatedBytes(), disk.liveBytes(), disk.directIo(), counters,
                disk.latencyMillis(), described);
    }
}
