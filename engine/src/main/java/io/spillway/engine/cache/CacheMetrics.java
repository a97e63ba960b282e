package io.spillway.engine.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The DRAM tier's meters, all named {@code spillway.cache.*} (and {@code spillway.writeback.*}
 * for the pipeline's write-back). Registered in the registry the disk tier uses too, so one
 * export carries both tiers and the disk tier persists the lifetime counters.
 */
final class CacheMetrics {

    static final String PREFIX = "spillway.";

    final MeterRegistry registry;
    final Counter hits;
    final Counter misses;
    final Counter raced;
    final Counter corrupt;
    final Counter stored;
    final Counter bytesIn;
    final Counter bytesOut;
    final Counter promotions;
    final Counter evictions;
    final Counter evictedUnwritten;
    final Counter busy;
    final Counter tooLarge;
    final Counter indexFailures;
    final Counter indexRebuilds;
    final Counter writeBackBlocks;
    final Counter writeBackBytes;
    final Counter writeBackFailures;
    final Counter writeBackRetries;

    CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
        hits = counter("cache.hits", "loads served from DRAM");
        misses = counter("cache.misses", "loads not found in DRAM");
        raced = counter("cache.raced", "DRAM copies rejected because the slot was rewritten during them");
        corrupt = counter("cache.corrupt", "DRAM blocks that failed their CRC32C and were dropped");
        stored = counter("cache.stored", "blocks stored in DRAM");
        bytesIn = counter("cache.bytes.in", "bytes copied into DRAM");
        bytesOut = counter("cache.bytes.out", "bytes served from DRAM");
        promotions = counter("cache.promotions", "disk-tier hits copied into DRAM");
        evictions = counter("cache.evictions", "DRAM blocks evicted");
        evictedUnwritten = counter("cache.evicted.unwritten", "DRAM blocks evicted after their write-back had failed for good");
        busy = counter("cache.busy", "dump blocks refused: DRAM full of unwritten blocks, or a full queue");
        tooLarge = counter("cache.too.large", "blocks larger than a slot, not cached");
        indexFailures = counter("cache.index.failures", "cache index operations that timed out or failed");
        indexRebuilds = counter("cache.index.rebuilds", "cache index files rebuilt from the arena");
        writeBackBlocks = counter("writeback.blocks", "blocks written back from DRAM to the disk tier");
        writeBackBytes = counter("writeback.bytes", "bytes written back from DRAM to the disk tier");
        writeBackFailures = counter("writeback.failures", "blocks whose write-back failed for good");
        writeBackRetries = counter("writeback.retries", "write-backs retried after BUSY or TIMEOUT from the disk tier");
    }

    /** Registers a gauge (the tier's block count, the write-back queue depth and lag). */
    void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(PREFIX + name, value).description(description).register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(PREFIX + name).description(description).register(registry);
    }

    /** This tier's counters by short name ({@code cache.hits}, ...), for {@code stats}. */
    Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Counter c : new Counter[] {hits, misses, raced, corrupt, stored, bytesIn, bytesOut, promotions, evictions,
                evictedUnwritten, busy, tooLarge, indexFailures, indexRebuilds, writeBackBlocks, writeBackBytes,
                writeBackFailures, writeBackRetries}) {
            m.put(c.getId().getName().substring(PREFIX.length()), (long) c.count());
        }
        return m;
    }
}
