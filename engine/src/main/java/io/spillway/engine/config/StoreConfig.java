package io.spillway.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated, immutable settings of one store. Getters are named after the YAML keys in camelCase
 * ({@code segment_size} → {@link #segmentSize()}); values carry their unit in their type
 * ({@link ByteSize}, {@link Duration}, {@link Capacity}), so no caller multiplies by 1024 or 1000.
 *
 * <p>Build one with {@link #builder()}, or with {@link ConfigLoader#load} to start from a YAML file
 * and the environment. A {@code StoreConfig} only exists once every value passed
 * {@link Builder#build()}'s checks: a bad value is refused before the store touches a disk.
 *
 * <p>Two configs are equal when {@link #describe()} gives the same effective values.
 */
public final class StoreConfig {

    private final List<Path> storageBackends;
    /** Null when the index path is derived from the first backend; kept so {@link #toBuilder()} keeps deriving it. */
    private final Path configuredIndexPath;
    private final Path indexPath;
    private final ByteSize kvBlockSize;
    private final ByteSize alignment;
    private final boolean ioDirect;
    private final int streamNumber;
    private final int waitingQueueDepth;
    private final int runningQueueDepth;
    private final Duration timeout;
    private final ByteSize bufferSize;
    private final Capacity capacity;
    private final ByteSize segmentSize;
    private final Durability durability;
    private final Compression compression;
    private final boolean autoCommit;
    private final ByteSize indexCacheSize;
    private final double gcHighWatermark;
    private final double gcLowWatermark;
    private final EvictionPolicy evictionPolicy;
    private final int reinsertHits;
    private final int reinsertBudgetPercent;
    private final double compactionThreshold;
    private final ByteSize gcMaxBytesPerSec;
    private final Duration ttl;

    private StoreConfig(Builder b) {
        storageBackends = b.storageBackends;
        configuredIndexPath = b.indexPath;
        indexPath = b.indexPath != null ? b.indexPath
                : storageBackends.isEmpty() ? Path.of(ConfigRules.DEFAULT_INDEX_DIR_NAME)
                : storageBackends.getFirst().resolve(ConfigRules.DEFAULT_INDEX_DIR_NAME);
        kvBlockSize = b.kvBlockSize;
        alignment = b.alignment;
        ioDirect = b.ioDirect;
        streamNumber = b.streamNumber;
        waitingQueueDepth = b.waitingQueueDepth;
        runningQueueDepth = b.runningQueueDepth;
        timeout = b.timeout;
        bufferSize = b.bufferSize;
        capacity = b.capacity;
        segmentSize = b.segmentSize;
        durability = b.durability;
        compression = b.compression;
        autoCommit = b.autoCommit;
        indexCacheSize = b.indexCacheSize;
        gcHighWatermark = b.gcHighWatermark;
        gcLowWatermark = b.gcLowWatermark;
        evictionPolicy = b.evictionPolicy;
        reinsertHits = b.reinsertHits;
        reinsertBudgetPercent = b.reinsertBudgetPercent;
        compactionThreshold = b.compactionThreshold;
        gcMaxBytesPerSec = b.gcMaxBytesPerSec;
        ttl = b.ttl;
    }

    /** A builder holding the defaults; {@code storage_backends} has none and must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to derive a variant (e.g. a smaller segment in a test). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.storageBackends = storageBackends;
        b.indexPath = configuredIndexPath;
        b.kvBlockSize = kvBlockSize;
        b.alignment = alignment;
        b.ioDirect = ioDirect;
        b.streamNumber = streamNumber;
        b.waitingQueueDepth = waitingQueueDepth;
        b.runningQueueDepth = runningQueueDepth;
        b.timeout = timeout;
        b.bufferSize = bufferSize;
        b.capacity = capacity;
        b.segmentSize = segmentSize;
        b.durability = durability;
        b.compression = compression;
        b.autoCommit = autoCommit;
        b.indexCacheSize = indexCacheSize;
        b.gcHighWatermark = gcHighWatermark;
        b.gcLowWatermark = gcLowWatermark;
        b.evictionPolicy = evictionPolicy;
        b.reinsertHits = reinsertHits;
        b.reinsertBudgetPercent = reinsertBudgetPercent;
        b.compactionThreshold = compactionThreshold;
        b.gcMaxBytesPerSec = gcMaxBytesPerSec;
        b.ttl = ttl;
        return b;
    }

    /** {@code storage_backends}: the directories that hold segments; never empty. */
    public List<Path> storageBackends() {
        return storageBackends;
    }

    /** {@code index_path}: the RocksDB index directory; {@code <first backend>/index} by default. */
    public Path indexPath() {
        return indexPath;
    }

    /** {@code kv_block_size}: the expected block size, for sizing buffers; other sizes are still stored. */
    public ByteSize kvBlockSize() {
        return kvBlockSize;
    }

    /** {@code alignment}: where payloads start in a segment; a power of two. */
    public ByteSize alignment() {
        return alignment;
    }

    /** {@code io_direct}: use O_DIRECT where the file system allows it, else buffered IO. */
    public boolean ioDirect() {
        return ioDirect;
    }

    /** {@code stream_number}: IO threads per direction (that many writers, and that many readers). */
    public int streamNumber() {
        return streamNumber;
    }

    /** {@code waiting_queue_depth}: tasks accepted but not yet started. */
    public int waitingQueueDepth() {
        return waitingQueueDepth;
    }

    /** {@code running_queue_depth}: tasks executing at once. */
    public int runningQueueDepth() {
        return runningQueueDepth;
    }

    /** {@code timeout_ms}: the deadline of each task, in whole milliseconds. */
    public Duration timeout() {
        return timeout;
    }

    /** {@code buffer_size}: the aligned staging buffer of each IO thread. */
    public ByteSize bufferSize() {
        return bufferSize;
    }

    /** {@code capacity}: the space the store may use. */
    public Capacity capacity() {
        return capacity;
    }

    /** {@code segment_size}: the size of each segment file. */
    public ByteSize segmentSize() {
        return segmentSize;
    }

    /** {@code durability}: when dumped data is fdatasynced. */
    public Durability durability() {
        return durability;
    }

    /** {@code compression}: the codec of newly dumped payloads. */
    public Compression compression() {
        return compression;
    }

    /** {@code auto_commit}: whether a successful dump becomes visible without an explicit commit. */
    public boolean autoCommit() {
        return autoCommit;
    }

    /** {@code gc_high_watermark}: when space used passes this fraction of capacity, the GC evicts. */
    public double gcHighWatermark() {
        return gcHighWatermark;
    }

    /** {@code gc_low_watermark}: the GC evicts until space used is below this fraction of capacity. */
    public double gcLowWatermark() {
        return gcLowWatermark;
    }

    /** {@code eviction_policy}: which sealed segment goes first. */
    public EvictionPolicy evictionPolicy() {
        return evictionPolicy;
    }

    /** {@code reinsert_hits}: a block read at least this often since written is copied forward before its segment is evicted (0: never). */
    public int reinsertHits() {
        return reinsertHits;
    }

    /** {@code reinsert_budget_percent}: reinsertion may write at most this percent of the bytes users wrote. */
    public int reinsertBudgetPercent() {
        return reinsertBudgetPercent;
    }

    /** {@code compaction_threshold}: a sealed segment whose live fraction falls below this is compacted. */
    public double compactionThreshold() {
        return compactionThreshold;
    }

    /** {@code gc_max_bytes_per_sec}: GC copy throughput (read plus write), per second. */
    public ByteSize gcMaxBytesPerSec() {
        return gcMaxBytesPerSec;
    }

    /** {@code ttl}: blocks older than this are dead (0: no TTL). */
    public Duration ttl() {
        return ttl;
    }

    /** {@code index_cache_size}: the RocksDB block cache. */
    public ByteSize indexCacheSize() {
        return indexCacheSize;
    }

    /**
     * Every key with its effective value, in a stable order, each printed so that it parses back
     * (e.g. {@code segment_size → "1 GiB"}, {@code storage_backends → "/a,/b"}). The {@code stats}
     * CLI prints it.
     */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        for (ConfigKey key : ConfigKey.all()) {
            out.put(key.yamlName(), key.show(this));
        }
        return out;
    }

    @Override
    public String toString() {
        return "StoreConfig" + describe();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoreConfig other && describe().equals(other.describe());
    }

    @Override
    public int hashCode() {
        return describe().hashCode();
    }

    /**
     * Collects values and checks them all in {@link #build()}. Setters take typed values; a later call
     * replaces an earlier one, which is how code overrides what {@link ConfigLoader} read from YAML
     * and the environment. Null arguments are refused with a {@link NullPointerException} naming the key.
     */
    public static final class Builder {
        private List<Path> storageBackends = List.of();
        private Path indexPath;
        private ByteSize kvBlockSize = ConfigRules.DEFAULT_KV_BLOCK_SIZE;
        private ByteSize alignment = ConfigRules.DEFAULT_ALIGNMENT;
        private boolean ioDirect = ConfigRules.DEFAULT_IO_DIRECT;
        private int streamNumber = ConfigRules.defaultStreamNumber();
        private int waitingQueueDepth = ConfigRules.DEFAULT_WAITING_QUEUE_DEPTH;
        private int runningQueueDepth = ConfigRules.DEFAULT_RUNNING_QUEUE_DEPTH;
        private Duration timeout = ConfigRules.DEFAULT_TIMEOUT;
        private ByteSize bufferSize = ConfigRules.DEFAULT_BUFFER_SIZE;
        private Capacity capacity = Capacity.unlimited();
        private ByteSize segmentSize = ConfigRules.DEFAULT_SEGMENT_SIZE;
        private Durability durability = ConfigRules.DEFAULT_DURABILITY;
        private Compression compression = ConfigRules.DEFAULT_COMPRESSION;
        private boolean autoCommit = ConfigRules.DEFAULT_AUTO_COMMIT;
        private ByteSize indexCacheSize = ConfigRules.DEFAULT_INDEX_CACHE_SIZE;
        private double gcHighWatermark = ConfigRules.DEFAULT_GC_HIGH_WATERMARK;
        private double gcLowWatermark = ConfigRules.DEFAULT_GC_LOW_WATERMARK;
        private EvictionPolicy evictionPolicy = ConfigRules.DEFAULT_EVICTION_POLICY;
        private int reinsertHits = ConfigRules.DEFAULT_REINSERT_HITS;
        private int reinsertBudgetPercent = ConfigRules.DEFAULT_REINSERT_BUDGET_PERCENT;
        private double compactionThreshold = ConfigRules.DEFAULT_COMPACTION_THRESHOLD;
        private ByteSize gcMaxBytesPerSec = ConfigRules.DEFAULT_GC_MAX_BYTES_PER_SEC;
        private Duration ttl = ConfigRules.DEFAULT_TTL;
        /** The text and source of values loaded from YAML or the environment, for messages. */
        private final Map<ConfigKey, ConfigKey.Origin> origins = new EnumMap<>(ConfigKey.class);

        private Builder() {
        }

        /** Replaces the list of segment directories. */
        public Builder storageBackends(List<Path> directories) {
            storageBackends = List.copyOf(Objects.requireNonNull(directories, "storage_backends"));
            return set(ConfigKey.STORAGE_BACKENDS);
        }

        /** Shorthand for {@code storageBackends(List.of(directory))}: replaces, never appends. */
        public Builder storageBackend(Path directory) {
            return storageBackends(List.of(Objects.requireNonNull(directory, "storage_backends")));
        }

        public Builder indexPath(Path directory) {
            indexPath = Objects.requireNonNull(directory, "index_path");
            return set(ConfigKey.INDEX_PATH);
        }

        public Builder kvBlockSize(ByteSize size) {
            kvBlockSize = Objects.requireNonNull(size, "kv_block_size");
            return set(ConfigKey.KV_BLOCK_SIZE);
        }

        public Builder alignment(ByteSize size) {
            alignment = Objects.requireNonNull(size, "alignment");
            return set(ConfigKey.ALIGNMENT);
        }

        public Builder ioDirect(boolean direct) {
            ioDirect = direct;
            return set(ConfigKey.IO_DIRECT);
        }

        public Builder streamNumber(int threads) {
            streamNumber = threads;
            return set(ConfigKey.STREAM_NUMBER);
        }

        public Builder waitingQueueDepth(int tasks) {
            waitingQueueDepth = tasks;
            return set(ConfigKey.WAITING_QUEUE_DEPTH);
        }

        public Builder runningQueueDepth(int tasks) {
            runningQueueDepth = tasks;
            return set(ConfigKey.RUNNING_QUEUE_DEPTH);
        }

        /** Sets {@code timeout_ms}; must be whole milliseconds. */
        public Builder timeout(Duration deadline) {
            timeout = Objects.requireNonNull(deadline, "timeout_ms");
            return set(ConfigKey.TIMEOUT_MS);
        }

        public Builder bufferSize(ByteSize size) {
            bufferSize = Objects.requireNonNull(size, "buffer_size");
            return set(ConfigKey.BUFFER_SIZE);
        }

        public Builder capacity(Capacity limit) {
            capacity = Objects.requireNonNull(limit, "capacity");
            return set(ConfigKey.CAPACITY);
        }

        public Builder segmentSize(ByteSize size) {
            segmentSize = Objects.requireNonNull(size, "segment_size");
            return set(ConfigKey.SEGMENT_SIZE);
        }

        public Builder durability(Durability mode) {
            durability = Objects.requireNonNull(mode, "durability");
            return set(ConfigKey.DURABILITY);
        }

        public Builder compression(Compression codec) {
            compression = Objects.requireNonNull(codec, "compression");
            return set(ConfigKey.COMPRESSION);
        }

        public Builder autoCommit(boolean enabled) {
            autoCommit = enabled;
            return set(ConfigKey.AUTO_COMMIT);
        }

        public Builder indexCacheSize(ByteSize size) {
            indexCacheSize = Objects.requireNonNull(size, "index_cache_size");
            return set(ConfigKey.INDEX_CACHE_SIZE);
        }

        public Builder gcHighWatermark(double value) {
            gcHighWatermark = value;
            return set(ConfigKey.GC_HIGH_WATERMARK);
        }

        public Builder gcLowWatermark(double value) {
            gcLowWatermark = value;
            return set(ConfigKey.GC_LOW_WATERMARK);
        }

        public Builder evictionPolicy(EvictionPolicy value) {
            evictionPolicy = Objects.requireNonNull(value, "eviction_policy");
            return set(ConfigKey.EVICTION_POLICY);
        }

        public Builder reinsertHits(int value) {
            reinsertHits = value;
            return set(ConfigKey.REINSERT_HITS);
        }

        public Builder reinsertBudgetPercent(int value) {
            reinsertBudgetPercent = value;
            return set(ConfigKey.REINSERT_BUDGET_PERCENT);
        }

        public Builder compactionThreshold(double value) {
            compactionThreshold = value;
            return set(ConfigKey.COMPACTION_THRESHOLD);
        }

        public Builder gcMaxBytesPerSec(ByteSize value) {
            gcMaxBytesPerSec = Objects.requireNonNull(value, "gc_max_bytes_per_sec");
            return set(ConfigKey.GC_MAX_BYTES_PER_SEC);
        }

        public Builder ttl(Duration value) {
            ttl = Objects.requireNonNull(value, "ttl");
            return set(ConfigKey.TTL);
        }

        /**
         * Checks every value and returns the config.
         *
         * @throws ConfigException naming the first bad key, its value as given, its source and what is allowed
         */
        public StoreConfig build() {
            StoreConfig config = new StoreConfig(this);
            ConfigRules.check(config, origins);
            return config;
        }

        /** A value set in code has no file or variable behind it: forget the loaded one's origin. */
        private Builder set(ConfigKey key) {
            origins.remove(key);
            return this;
        }

        /** Called by {@link ConfigKey#apply} right after the typed setter. */
        void origin(ConfigKey key, ConfigKey.Origin origin) {
            origins.put(key, origin);
        }
    }
}
