package io.spillway.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The defaults and allowed ranges of every key, and the checks {@link StoreConfig.Builder#build()}
 * runs. Kept apart from {@link StoreConfig} so the rules read as one table.
 *
 * <p>Checks run in key order and stop at the first problem; {@code alignment} is checked before the
 * sizes that must be multiples of it, so their messages can quote a valid alignment.
 */
final class ConfigRules {

    static final ByteSize DEFAULT_KV_BLOCK_SIZE = ByteSize.ofMiB(2);
    static final ByteSize DEFAULT_ALIGNMENT = ByteSize.ofBytes(4096);
    static final boolean DEFAULT_IO_DIRECT = true;
    static final int DEFAULT_WAITING_QUEUE_DEPTH = 1024;
    static final int DEFAULT_RUNNING_QUEUE_DEPTH = 64;
    static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(30_000);
    static final ByteSize DEFAULT_BUFFER_SIZE = ByteSize.ofMiB(16);
    static final ByteSize DEFAULT_SEGMENT_SIZE = ByteSize.ofGiB(1);
    static final Durability DEFAULT_DURABILITY = Durability.BATCH;
    static final Compression DEFAULT_COMPRESSION = Compression.NONE;
    static final boolean DEFAULT_AUTO_COMMIT = true;
    static final ByteSize DEFAULT_INDEX_CACHE_SIZE = ByteSize.ofMiB(256);
    static final double DEFAULT_GC_HIGH_WATERMARK = 0.9;
    static final double DEFAULT_GC_LOW_WATERMARK = 0.8;
    static final EvictionPolicy DEFAULT_EVICTION_POLICY = EvictionPolicy.FIFO;
    /** Twice: once is every block a prefix hit touched; twice is a block that keeps being reused. */
    static final int DEFAULT_REINSERT_HITS = 2;
    static final int DEFAULT_REINSERT_BUDGET_PERCENT = 10;
    static final double DEFAULT_COMPACTION_THRESHOLD = 0.3;
    static final ByteSize DEFAULT_GC_MAX_BYTES_PER_SEC = ByteSize.ofMiB(128);
    static final Duration DEFAULT_TTL = Duration.ZERO;
    static final IntRange REINSERT_HITS = new IntRange(0, 1_000_000);
    static final IntRange REINSERT_BUDGET_PERCENT = new IntRange(0, 100);
    static final ByteSize MIN_GC_BYTES_PER_SEC = ByteSize.ofMiB(1);
    /** The index lives on the first backend unless told otherwise: that disk is always there. */
    static final String DEFAULT_INDEX_DIR_NAME = "index";

    static final IntRange STREAM_NUMBER = new IntRange(1, 256);
    static final IntRange WAITING_QUEUE_DEPTH = new IntRange(1, 1_000_000);
    static final IntRange RUNNING_QUEUE_DEPTH = new IntRange(1, 100_000);
    static final IntRange TIMEOUT_MS = new IntRange(1, 86_400_000);

    static final ByteSize MIN_KV_BLOCK_SIZE = ByteSize.ofKiB(4);
    static final ByteSize MAX_KV_BLOCK_SIZE = ByteSize.ofMiB(256);
    static final ByteSize MIN_ALIGNMENT = ByteSize.ofBytes(512);
    static final ByteSize MAX_ALIGNMENT = ByteSize.ofMiB(1);
    static final ByteSize MIN_BUFFER_SIZE = ByteSize.ofMiB(1);
    static final ByteSize MAX_BUFFER_SIZE = ByteSize.ofGiB(1);
    static final ByteSize MIN_SEGMENT_SIZE = ByteSize.ofMiB(1);
    static final ByteSize MAX_SEGMENT_SIZE = ByteSize.ofGiB(64);
    static final ByteSize MIN_INDEX_CACHE_SIZE = ByteSize.ofMiB(8);
    static final ByteSize MAX_INDEX_CACHE_SIZE = ByteSize.ofGiB(64);

    private ConfigRules() {
    }

    /** A few IO threads per direction saturate an NVMe drive; more only add contention on small hosts. */
    static int defaultStreamNumber() {
        return Math.min(4, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Checks every value of {@code c}.
     *
     * @param origins for values loaded from YAML or the environment, the text as written and its
     *     source; values set in code are shown by their typed {@code toString}
     * @throws ConfigException naming the first bad key
     */
    static void check(StoreConfig c, Map<ConfigKey, ConfigKey.Origin> origins) {
        Checker k = new Checker(c, origins);
        checkBackends(k, c.storageBackends());
        k.require(ConfigKey.KV_BLOCK_SIZE, within(c.kvBlockSize(), MIN_KV_BLOCK_SIZE, MAX_KV_BLOCK_SIZE),
                "must be between " + MIN_KV_BLOCK_SIZE + " and " + MAX_KV_BLOCK_SIZE);
        long alignment = c.alignment().bytes();
        k.require(ConfigKey.ALIGNMENT, Long.bitCount(alignment) == 1 && within(c.alignment(), MIN_ALIGNMENT, MAX_ALIGNMENT),
                "must be a power of two between " + MIN_ALIGNMENT.bytes() + " and " + MAX_ALIGNMENT.bytes() + " (1 MiB)");
        k.require(ConfigKey.STREAM_NUMBER, STREAM_NUMBER.contains(c.streamNumber()), STREAM_NUMBER.requirement());
        k.require(ConfigKey.WAITING_QUEUE_DEPTH, WAITING_QUEUE_DEPTH.contains(c.waitingQueueDepth()), WAITING_QUEUE_DEPTH.requirement());
        k.require(ConfigKey.RUNNING_QUEUE_DEPTH, RUNNING_QUEUE_DEPTH.contains(c.runningQueueDepth()), RUNNING_QUEUE_DEPTH.requirement());
        checkTimeout(k, c.timeout());
        k.require(ConfigKey.BUFFER_SIZE, c.bufferSize().isMultipleOf(c.alignment()) && within(c.bufferSize(), MIN_BUFFER_SIZE, MAX_BUFFER_SIZE),
                "must be a multiple of alignment (" + alignment + ") between " + MIN_BUFFER_SIZE + " and " + MAX_BUFFER_SIZE);
        k.require(ConfigKey.SEGMENT_SIZE, c.segmentSize().isMultipleOf(c.alignment()) && within(c.segmentSize(), MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE),
                "must be a multiple of alignment (" + alignment + ") between " + MIN_SEGMENT_SIZE + " and " + MAX_SEGMENT_SIZE);
        // A segment needs room for at least its header block and one aligned payload.
        k.require(ConfigKey.SEGMENT_SIZE, c.segmentSize().bytes() / 2 >= alignment,
                "must be at least 2 x alignment (" + ByteSize.ofBytes(2 * alignment) + ")");
        k.require(ConfigKey.INDEX_CACHE_SIZE, within(c.indexCacheSize(), MIN_INDEX_CACHE_SIZE, MAX_INDEX_CACHE_SIZE),
                "must be between " + MIN_INDEX_CACHE_SIZE + " and " + MAX_INDEX_CACHE_SIZE);
        k.require(ConfigKey.GC_HIGH_WATERMARK, c.gcHighWatermark() > 0 && c.gcHighWatermark() <= 1,
                "must be a fraction of capacity above 0 and at most 1");
        k.require(ConfigKey.GC_LOW_WATERMARK, c.gcLowWatermark() > 0 && c.gcLowWatermark() < c.gcHighWatermark(),
                "must be a fraction of capacity above 0 and below gc_high_watermark (" + c.gcHighWatermark() + ")");
        k.require(ConfigKey.REINSERT_HITS, REINSERT_HITS.contains(c.reinsertHits()), REINSERT_HITS.requirement());
        k.require(ConfigKey.REINSERT_BUDGET_PERCENT, REINSERT_BUDGET_PERCENT.contains(c.reinsertBudgetPercent()),
                REINSERT_BUDGET_PERCENT.requirement());
        k.require(ConfigKey.COMPACTION_THRESHOLD, c.compactionThreshold() >= 0 && c.compactionThreshold() < 1,
                "must be a fraction at least 0 and below 1");
        k.require(ConfigKey.GC_MAX_BYTES_PER_SEC, c.gcMaxBytesPerSec().compareTo(MIN_GC_BYTES_PER_SEC) >= 0,
                "must be at least " + MIN_GC_BYTES_PER_SEC);
        k.require(ConfigKey.TTL, !c.ttl().isNegative() && c.ttl().toNanosPart() % 1_000_000 == 0,
                "must be 0 (no TTL) or a positive whole number of milliseconds, e.g. 3600s, 90m, 24h");
    }

    /**
     * At least one backend, and no directory twice: two writers appending to one directory would
     * break "one writer per store directory".
     */
    private static void checkBackends(Checker k, List<Path> backends) {
        k.require(ConfigKey.STORAGE_BACKENDS, !backends.isEmpty(),
                "at least one directory is required (a YAML list, or comma-separated in " + ConfigKey.STORAGE_BACKENDS.envName() + ")");
        Set<Path> seen = new HashSet<>();
        for (Path backend : backends) {
            k.require(ConfigKey.STORAGE_BACKENDS, seen.add(backend.toAbsolutePath().normalize()),
                    "lists '" + backend + "' twice; each backend must be a distinct directory");
        }
    }

    /** The key is in whole milliseconds; a finer Duration would be silently truncated, so it is refused. */
    private static void checkTimeout(Checker k, Duration timeout) {
        boolean wholeMillis = !timeout.isNegative() && timeout.toNanosPart() % 1_000_000 == 0;
        k.require(ConfigKey.TIMEOUT_MS, wholeMillis && TIMEOUT_MS.contains(timeout.toMillis()),
                "must be a whole number of milliseconds between " + TIMEOUT_MS.min() + " and " + TIMEOUT_MS.max() + " (24 h)");
    }

    private static boolean within(ByteSize size, ByteSize min, ByteSize max) {
        return size.compareTo(min) >= 0 && size.compareTo(max) <= 0;
    }

    /** Turns a failed condition into a {@link ConfigException} that shows the value as the user wrote it. */
    private record Checker(StoreConfig config, Map<ConfigKey, ConfigKey.Origin> origins) {
        void require(ConfigKey key, boolean ok, String requirement) {
            if (ok) {
                return;
            }
            ConfigKey.Origin origin = origins.get(key);
            if (origin == null) {
                throw new ConfigException(key.yamlName(), key.show(config), requirement);
            }
            throw new ConfigException(key.yamlName(), origin.text(), origin.source(), requirement);
        }
    }
}
