package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreConfigTest {

    private static final Path A = Path.of("/data/a");
    private static final Path B = Path.of("/data/b");

    @Test
    void defaults() {
        StoreConfig c = StoreConfig.builder().storageBackend(A).build();
        assertEquals(List.of(A), c.storageBackends());
        assertEquals(A.resolve("index"), c.indexPath());
        assertEquals(ByteSize.ofMiB(2), c.kvBlockSize());
        assertEquals(ByteSize.ofBytes(4096), c.alignment());
        assertTrue(c.ioDirect());
        assertEquals(Math.min(4, Runtime.getRuntime().availableProcessors()), c.streamNumber());
        assertEquals(1024, c.waitingQueueDepth());
        assertEquals(64, c.runningQueueDepth());
        assertEquals(Duration.ofSeconds(30), c.timeout());
        assertEquals(ByteSize.ofMiB(16), c.writeGroupSize());
        assertTrue(c.capacity().isUnlimited());
        assertEquals(ByteSize.ofGiB(1), c.segmentSize());
        assertEquals(Durability.BATCH, c.durability());
        assertEquals(Compression.NONE, c.compression());
        assertTrue(c.autoCommit());
        assertEquals(ByteSize.ofMiB(256), c.indexCacheSize());
    }

    @Test
    void describeListsEveryKeyInOrderWithParseableValues() {
        StoreConfig c = StoreConfig.builder().storageBackends(List.of(A, B)).streamNumber(2).build();
        Map<String, String> d = c.describe();
        assertEquals(List.of("storage_backends", "index_path", "kv_block_size", "alignment", "io_direct",
                "stream_number", "waiting_queue_depth", "running_queue_depth", "load_queue_depth", "load_io_engine",
                "write_queue_depth", "timeout_ms", "write_group_size",
                "capacity", "segment_size", "durability", "compression", "auto_commit", "index_cache_size",
                "gc_high_watermark", "gc_low_watermark", "eviction_policy", "reinsert_hits", "reinsert_budget_percent",
                "compaction_threshold", "gc_max_bytes_per_sec", "ttl", "store_pipeline", "buffer_size", "cache_path",
                "cache_mlock", "cache_verify", "cache_eviction_policy", "cache_promotion", "cache_writeback_queue", "writer_id", "refresh_interval", "lease_timeout"),
                List.copyOf(d.keySet()));
        assertEquals("/data/a,/data/b", d.get("storage_backends"));
        assertEquals("/data/a/index", d.get("index_path"));
        assertEquals("2 MiB", d.get("kv_block_size"));
        assertEquals("4096", d.get("alignment"));
        assertEquals("true", d.get("io_direct"));
        assertEquals("2", d.get("stream_number"));
        assertEquals("128", d.get("load_queue_depth"));
        assertEquals("auto", d.get("load_io_engine"));
        assertEquals("4", d.get("write_queue_depth"));
        assertEquals("30000", d.get("timeout_ms"));
        assertEquals("unlimited", d.get("capacity"));
        assertEquals("1 GiB", d.get("segment_size"));
        assertEquals("batch", d.get("durability"));
        assertEquals("none", d.get("compression"));
        assertEquals("0.9", d.get("gc_high_watermark"));
        assertEquals("fifo", d.get("eviction_policy"));
        assertEquals("0", d.get("ttl"));
        assertTrue(c.toString().contains("segment_size=1 GiB"), c.toString());
    }

    @Test
    void everySetterIsApplied() {
        StoreConfig c = StoreConfig.builder()
                .storageBackends(List.of(A, B)).indexPath(Path.of("/ssd/idx"))
                .kvBlockSize(ByteSize.ofKiB(64)).alignment(ByteSize.ofBytes(512)).ioDirect(false)
                .streamNumber(8).waitingQueueDepth(10).runningQueueDepth(5).loadQueueDepth(7).loadIoEngine(LoadIoEngine.THREADS)
                .writeQueueDepth(3).timeout(Duration.ofMillis(1500))
                .writeGroupSize(ByteSize.ofMiB(4)).capacity(Capacity.percent(80)).segmentSize(ByteSize.ofMiB(256))
                .durability(Durability.ALWAYS).compression(Compression.LZ4).autoCommit(true)
                .indexCacheSize(ByteSize.ofMiB(8))
                .gcHighWatermark(0.95).gcLowWatermark(0.5).evictionPolicy(EvictionPolicy.LRU).reinsertHits(3)
                .reinsertBudgetPercent(20).compactionThreshold(0.25).gcMaxBytesPerSec(ByteSize.ofMiB(64))
                .ttl(Duration.ofHours(2))
                .storePipeline(StorePipeline.CACHE).bufferSize(ByteSize.ofMiB(64)).cachePath(Path.of("/dev/shm/x"))
                .cacheMlock(true).cacheVerify(CacheVerify.OFF).cacheEvictionPolicy(CacheEvictionPolicy.LRU).cachePromotion(false)
                .cacheWritebackQueue(7)
                .set(StoreKeys.WRITER_ID, "host-a").set(StoreKeys.REFRESH_INTERVAL, Duration.ofMillis(500))
                .set(StoreKeys.LEASE_TIMEOUT, Duration.ofSeconds(5))
                .build();
        assertEquals(Map.ofEntries(
                Map.entry("storage_backends", "/data/a,/data/b"), Map.entry("index_path", "/ssd/idx"),
                Map.entry("kv_block_size", "64 KiB"), Map.entry("alignment", "512"), Map.entry("io_direct", "false"),
                Map.entry("stream_number", "8"), Map.entry("waiting_queue_depth", "10"),
                Map.entry("running_queue_depth", "5"), Map.entry("load_queue_depth", "7"), Map.entry("load_io_engine", "threads"),
                Map.entry("write_queue_depth", "3"), Map.entry("timeout_ms", "1500"),
                Map.entry("write_group_size", "4 MiB"), Map.entry("capacity", "80%"), Map.entry("segment_size", "256 MiB"),
                Map.entry("durability", "always"), Map.entry("compression", "lz4"), Map.entry("auto_commit", "true"),
                Map.entry("index_cache_size", "8 MiB"), Map.entry("gc_high_watermark", "0.95"),
                Map.entry("gc_low_watermark", "0.5"), Map.entry("eviction_policy", "lru"), Map.entry("reinsert_hits", "3"),
                Map.entry("reinsert_budget_percent", "20"), Map.entry("compaction_threshold", "0.25"),
                Map.entry("gc_max_bytes_per_sec", "64 MiB"), Map.entry("ttl", "7200s"), Map.entry("store_pipeline", "Cache"),
                Map.entry("buffer_size", "64 MiB"), Map.entry("cache_path", "/dev/shm/x"), Map.entry("cache_mlock", "true"),
                Map.entry("cache_verify", "off"), Map.entry("cache_eviction_policy", "lru"),
                Map.entry("cache_promotion", "false"), Map.entry("cache_writeback_queue", "7"), Map.entry("writer_id", "host-a"),
                Map.entry("refresh_interval", "500"), Map.entry("lease_timeout", "5000")), c.describe());
    }

    @Test
    void autoCommitOffKeepsTheDiskPipeline() {
        StoreConfig c = StoreConfig.builder().storageBackend(A).autoCommit(false).build();
        assertEquals("false", c.describe().get("auto_commit"));
        assertEquals(StorePipeline.DISK, c.storePipeline());
    }

    @Test
    void theDramTierNeedsAutoCommitAndAReasonableSize() {
        for (StorePipeline cached : List.of(StorePipeline.CACHE, StorePipeline.CACHE_DISK)) {
            ConfigException e = assertThrows(ConfigException.class, () -> StoreConfig.builder().storageBackend(A)
                    .autoCommit(false).storePipeline(cached).build());
            assertEquals("config key 'store_pipeline' = '" + cached.configName()
                    + "' is invalid: needs auto_commit: true (a block is visible once it is in DRAM)", e.getMessage());
        }
        ConfigException small = assertThrows(ConfigException.class, () -> StoreConfig.builder().storageBackend(A)
                .kvBlockSize(ByteSize.ofMiB(4)).bufferSize(ByteSize.ofMiB(2)).build());
        assertTrue(small.getMessage().contains("must be at least 1 x kv_block_size (4 MiB)"), small.getMessage());
        ConfigException huge = assertThrows(ConfigException.class, () -> StoreConfig.builder().storageBackend(A)
                .bufferSize(ByteSize.ofBytes(HostMemory.totalBytes())).build());
        assertTrue(huge.getMessage().contains("must be at most 90% of this host's RAM"), huge.getMessage());
        StoreConfig c = StoreConfig.builder().storageBackend(A).build();
        assertTrue(c.bufferSize().bytes() <= HostMemory.maxCacheBytes() && c.bufferSize().bytes() >= ByteSize.ofMiB(1).bytes(),
                c.bufferSize().toString());
    }

    @Test
    void storePipelineReadsSeed002sSpellingInAnyCase() {
        Settings.Builder b = StoreKeys.SCHEMA.builder().apply(StoreKeys.STORAGE_BACKENDS, "/a", null);
        assertEquals(StorePipeline.CACHE_DISK, b.apply(StoreKeys.STORE_PIPELINE, " cache|DISK ", null).build()
                .get(StoreKeys.STORE_PIPELINE));
        assertEquals("Cache|Disk", StoreConfig.builder().storageBackend(A).storePipeline(StorePipeline.CACHE_DISK).build()
                .describe().get("store_pipeline"));
        ConfigException e = assertThrows(ConfigException.class, () -> b.apply(StoreKeys.STORE_PIPELINE, "Disk|Cache", null));
        assertTrue(e.getMessage().endsWith("must be one of Disk, Cache|Disk, Cache"), e.getMessage());
    }

    @Test
    void storageBackendReplacesRatherThanAppends() {
        StoreConfig c = StoreConfig.builder().storageBackends(List.of(A, B)).storageBackend(B).build();
        assertEquals(List.of(B), c.storageBackends());
    }

    @Test
    void toBuilderKeepsValuesAndKeepsDerivingTheIndexPath() {
        StoreConfig c = StoreConfig.builder().storageBackend(A).segmentSize(ByteSize.ofMiB(8)).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(c.hashCode(), c.toBuilder().build().hashCode());
        StoreConfig moved = c.toBuilder().storageBackend(B).build();
        assertEquals(B.resolve("index"), moved.indexPath());
        assertEquals(ByteSize.ofMiB(8), moved.segmentSize());
        assertNotEquals(c, moved);
    }

    @Test
    void codeValuesAreShownTypedInMessages() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> StoreConfig.builder().storageBackend(A).segmentSize(ByteSize.ofBytes(3)).build());
        assertEquals("config key 'segment_size' = '3 B' is invalid: "
                + "must be a multiple of alignment (4096) between 1 MiB and 64 GiB", e.getMessage());
        assertEquals("segment_size", e.key());
        assertEquals("3 B", e.value());
    }

    @Test
    void segmentMustHoldTwoAlignmentUnits() {
        ConfigException e = assertThrows(ConfigException.class, () -> StoreConfig.builder().storageBackend(A)
                .alignment(ByteSize.ofMiB(1)).segmentSize(ByteSize.ofMiB(1)).build());
        assertTrue(e.getMessage().contains("at least 2 x alignment (2 MiB)"), e.getMessage());
        StoreConfig.builder().storageBackend(A).alignment(ByteSize.ofMiB(1)).segmentSize(ByteSize.ofMiB(2)).build();
    }

    @Test
    void backendsAreRequiredAndDistinct() {
        ConfigException none = assertThrows(ConfigException.class, () -> StoreConfig.builder().build());
        assertTrue(none.getMessage().startsWith("config key 'storage_backends' = '' is invalid: at least one directory"),
                none.getMessage());
        ConfigException twice = assertThrows(ConfigException.class,
                () -> StoreConfig.builder().storageBackends(List.of(A, Path.of("/data/./a"))).build());
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    }

    @Test
    void timeoutMustBeWholePositiveMillisecondsUpToADay() {
        StoreConfig.Builder b = StoreConfig.builder().storageBackend(A);
        assertEquals(Duration.ofDays(1), b.timeout(Duration.ofDays(1)).build().timeout());
        for (Duration bad : List.of(Duration.ZERO, Duration.ofMillis(-1), Duration.ofNanos(1_500_000),
                Duration.ofDays(1).plusMillis(1), Duration.ofSeconds(Long.MAX_VALUE))) {
            ConfigException e = assertThrows(ConfigException.class, () -> b.timeout(bad).build(), bad::toString);
            assertTrue(e.getMessage().contains("'timeout_ms'"), e.getMessage());
        }
    }

    @Test
    void nullSettersNameTheKey() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> StoreConfig.builder().segmentSize(null));
        assertEquals("segment_size", e.getMessage());
    }
}
