package io.spillway.engine.config;

import static io.spillway.engine.config.StoreKeys.ALIGNMENT;
import static io.spillway.engine.config.StoreKeys.AUTO_COMMIT;
import static io.spillway.engine.config.StoreKeys.BUFFER_SIZE;
import static io.spillway.engine.config.StoreKeys.CACHE_EVICTION_POLICY;
import static io.spillway.engine.config.StoreKeys.CACHE_MLOCK;
import static io.spillway.engine.config.StoreKeys.CACHE_PATH;
import static io.spillway.engine.config.StoreKeys.CACHE_PROMOTION;
import static io.spillway.engine.config.StoreKeys.CACHE_VERIFY;
import static io.spillway.engine.config.StoreKeys.CACHE_WRITEBACK_QUEUE;
import static io.spillway.engine.config.StoreKeys.CAPACITY;
import static io.spillway.engine.config.StoreKeys.COMPACTION_THRESHOLD;
import static io.spillway.engine.config.StoreKeys.COMPRESSION;
import static io.spillway.engine.config.StoreKeys.DURABILITY;
import static io.spillway.engine.config.StoreKeys.EVICTION_POLICY;
import static io.spillway.engine.config.StoreKeys.GC_HIGH_WATERMARK;
import static io.spillway.engine.config.StoreKeys.GC_LOW_WATERMARK;
import static io.spillway.engine.config.StoreKeys.GC_MAX_BYTES_PER_SEC;
import static io.spillway.engine.config.StoreKeys.INDEX_CACHE_SIZE;
import static io.spillway.engine.config.StoreKeys.INDEX_PATH;
import static io.spillway.engine.config.StoreKeys.IO_DIRECT;
import static io.spillway.engine.config.StoreKeys.KV_BLOCK_SIZE;
import static io.spillway.engine.config.StoreKeys.LEASE_TIMEOUT;
import static io.spillway.engine.config.StoreKeys.LOAD_IO_ENGINE;
import static io.spillway.engine.config.StoreKeys.LOAD_QUEUE_DEPTH;
import static io.spillway.engine.config.StoreKeys.REFRESH_INTERVAL;
import static io.spillway.engine.config.StoreKeys.REINSERT_BUDGET_PERCENT;
import static io.spillway.engine.config.StoreKeys.REINSERT_HITS;
import static io.spillway.engine.config.StoreKeys.RUNNING_QUEUE_DEPTH;
import static io.spillway.engine.config.StoreKeys.SEGMENT_SIZE;
import static io.spillway.engine.config.StoreKeys.STORAGE_BACKENDS;
import static io.spillway.engine.config.StoreKeys.STORE_PIPELINE;
import static io.spillway.engine.config.StoreKeys.STREAM_NUMBER;
import static io.spillway.engine.config.StoreKeys.TIMEOUT_MS;
import static io.spillway.engine.config.StoreKeys.TTL;
import static io.spillway.engine.config.StoreKeys.WAITING_QUEUE_DEPTH;
import static io.spillway.engine.config.StoreKeys.WRITER_ID;
import static io.spillway.engine.config.StoreKeys.WRITE_GROUP_SIZE;
import static io.spillway.engine.config.StoreKeys.WRITE_QUEUE_DEPTH;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The validated, immutable settings of one store. Each key is declared once, in {@link StoreKeys}
 * (name, type with its unit, default, rules, doc); this class gives each a typed accessor named
 * after the key in camelCase ({@code segment_size} → {@link #segmentSize()}), so no caller
 * multiplies by 1024 or 1000. A key without an accessor is read with {@link #get(Key)}.
 *
 * <p>Build one with {@link #builder()}, or with {@link ConfigLoader#load} to start from a YAML file
 * and the environment. A {@code StoreConfig} only exists once every value passed
 * {@link Builder#build()}'s checks: a bad value is refused before the store touches a disk.
 *
 * <p>Two configs are equal when {@link #describe()} gives the same effective values.
 */
public final class StoreConfig extends SettingsConfig {

    private StoreConfig(Settings settings) {
        super(settings);
    }

    /** A builder holding the defaults; {@code storage_backends} has none and must be set. */
    public static Builder builder() {
        return new Builder(StoreKeys.SCHEMA.builder());
    }

    /** A builder holding this config's values, to derive a variant (e.g. a smaller segment in a test). */
    public Builder toBuilder() {
        return new Builder(settings.toBuilder());
    }

    /** {@link StoreKeys#STORAGE_BACKENDS}: never empty. */
    public List<Path> storageBackends() {
        return get(STORAGE_BACKENDS);
    }

    /** {@link StoreKeys#INDEX_PATH}: {@code <first backend>/index} unless set. */
    public Path indexPath() {
        return get(INDEX_PATH);
    }

    /** {@link StoreKeys#KV_BLOCK_SIZE}. */
    public ByteSize kvBlockSize() {
        return get(KV_BLOCK_SIZE);
    }

    /** {@link StoreKeys#ALIGNMENT}: a power of two. */
    public ByteSize alignment() {
        return get(ALIGNMENT);
    }

    /** {@link StoreKeys#IO_DIRECT}. */
    public boolean ioDirect() {
        return get(IO_DIRECT);
    }

    /** {@link StoreKeys#STREAM_NUMBER}. */
    public int streamNumber() {
        return get(STREAM_NUMBER);
    }

    /** {@link StoreKeys#WAITING_QUEUE_DEPTH}. */
    public int waitingQueueDepth() {
        return get(WAITING_QUEUE_DEPTH);
    }

    /** {@link StoreKeys#RUNNING_QUEUE_DEPTH}. */
    public int runningQueueDepth() {
        return get(RUNNING_QUEUE_DEPTH);
    }

    /** {@link StoreKeys#LOAD_QUEUE_DEPTH}: chunk reads in flight for loads. */
    public int loadQueueDepth() {
        return get(LOAD_QUEUE_DEPTH);
    }

    /** {@link StoreKeys#WRITE_QUEUE_DEPTH}: group writes in flight per append writer. */
    public int writeQueueDepth() {
        return get(WRITE_QUEUE_DEPTH);
    }

    /** {@link StoreKeys#LOAD_IO_ENGINE}. */
    public LoadIoEngine loadIoEngine() {
        return get(LOAD_IO_ENGINE);
    }

    /** {@link StoreKeys#TIMEOUT_MS}: whole milliseconds. */
    public Duration timeout() {
        return get(TIMEOUT_MS);
    }

    /** {@link StoreKeys#WRITE_GROUP_SIZE} (was {@code buffer_size}): a multiple of the alignment. */
    public ByteSize writeGroupSize() {
        return get(WRITE_GROUP_SIZE);
    }

    /** {@link StoreKeys#CAPACITY}. */
    public Capacity capacity() {
        return get(CAPACITY);
    }

    /** {@link StoreKeys#SEGMENT_SIZE}: a multiple of the alignment. */
    public ByteSize segmentSize() {
        return get(SEGMENT_SIZE);
    }

    /** {@link StoreKeys#DURABILITY}. */
    public Durability durability() {
        return get(DURABILITY);
    }

    /** {@link StoreKeys#COMPRESSION}. */
    public Compression compression() {
        return get(COMPRESSION);
    }

    /** {@link StoreKeys#AUTO_COMMIT}. */
    public boolean autoCommit() {
        return get(AUTO_COMMIT);
    }

    /** {@link StoreKeys#INDEX_CACHE_SIZE}. */
    public ByteSize indexCacheSize() {
        return get(INDEX_CACHE_SIZE);
    }

    /** {@link StoreKeys#GC_HIGH_WATERMARK}: a fraction of capacity. */
    public double gcHighWatermark() {
        return get(GC_HIGH_WATERMARK);
    }

    /** {@link StoreKeys#GC_LOW_WATERMARK}: a fraction of capacity, below the high watermark. */
    public double gcLowWatermark() {
        return get(GC_LOW_WATERMARK);
    }

    /** {@link StoreKeys#EVICTION_POLICY}. */
    public EvictionPolicy evictionPolicy() {
        return get(EVICTION_POLICY);
    }

    /** {@link StoreKeys#REINSERT_HITS}: 0 means never. */
    public int reinsertHits() {
        return get(REINSERT_HITS);
    }

    /** {@link StoreKeys#REINSERT_BUDGET_PERCENT}. */
    public int reinsertBudgetPercent() {
        return get(REINSERT_BUDGET_PERCENT);
    }

    /** {@link StoreKeys#COMPACTION_THRESHOLD}: a live fraction. */
    public double compactionThreshold() {
        return get(COMPACTION_THRESHOLD);
    }

    /** {@link StoreKeys#GC_MAX_BYTES_PER_SEC}: bytes per second. */
    public ByteSize gcMaxBytesPerSec() {
        return get(GC_MAX_BYTES_PER_SEC);
    }

    /** {@link StoreKeys#TTL}: zero means no TTL. */
    public Duration ttl() {
        return get(TTL);
    }

    /** {@link StoreKeys#STORE_PIPELINE}: the tiers. */
    public StorePipeline storePipeline() {
        return get(STORE_PIPELINE);
    }

    /** {@link StoreKeys#BUFFER_SIZE} (seed 002's meaning): the DRAM bytes of the cache tier. */
    public ByteSize bufferSize() {
        return get(BUFFER_SIZE);
    }

    /** {@link StoreKeys#CACHE_PATH}: the DRAM tier's directory. */
    public Path cachePath() {
        return get(CACHE_PATH);
    }

    /** {@link StoreKeys#CACHE_MLOCK}. */
    public boolean cacheMlock() {
        return get(CACHE_MLOCK);
    }

    /** {@link StoreKeys#CACHE_VERIFY}: how each DRAM hit's CRC32C is checked. */
    public CacheVerify cacheVerify() {
        return get(CACHE_VERIFY);
    }

    /** {@link StoreKeys#CACHE_EVICTION_POLICY}. */
    public CacheEvictionPolicy cacheEvictionPolicy() {
        return get(CACHE_EVICTION_POLICY);
    }

    /** {@link StoreKeys#CACHE_PROMOTION}. */
    public boolean cachePromotion() {
        return get(CACHE_PROMOTION);
    }

    /** {@link StoreKeys#CACHE_WRITEBACK_QUEUE}: in blocks. */
    public int cacheWritebackQueue() {
        return get(CACHE_WRITEBACK_QUEUE);
    }

    public String writerId() {
        return get(WRITER_ID);
    }

    public Duration refreshInterval() {
        return get(REFRESH_INTERVAL);
    }

    public Duration leaseTimeout() {
        return get(LEASE_TIMEOUT);
    }

    /**
     * Collects values and checks them all in {@link #build()}. Setters take typed values; a later call
     * replaces an earlier one, which is how code overrides what {@link ConfigLoader} read from YAML
     * and the environment. Null arguments are refused with a {@link NullPointerException} naming the key.
     * Every key can be set with {@link #set(Key, Object)}; the named setters are shorthands for it.
     */
    public static final class Builder {
        private final Settings.Builder values;

        private Builder(Settings.Builder values) {
            this.values = values;
        }

        /** Sets any key of {@link StoreKeys}. */
        public <T> Builder set(Key<T> key, T value) {
            values.set(key, value);
            return this;
        }

        /** Replaces the list of segment directories. */
        public Builder storageBackends(List<Path> directories) {
            return set(STORAGE_BACKENDS, List.copyOf(Objects.requireNonNull(directories, STORAGE_BACKENDS.name())));
        }

        /** Shorthand for {@code storageBackends(List.of(directory))}: replaces, never appends. */
        public Builder storageBackend(Path directory) {
            return storageBackends(List.of(Objects.requireNonNull(directory, STORAGE_BACKENDS.name())));
        }

        public Builder indexPath(Path directory) {
            return set(INDEX_PATH, directory);
        }

        public Builder kvBlockSize(ByteSize size) {
            return set(KV_BLOCK_SIZE, size);
        }

        public Builder alignment(ByteSize size) {
            return set(ALIGNMENT, size);
        }

        public Builder ioDirect(boolean direct) {
            return set(IO_DIRECT, direct);
        }

        public Builder streamNumber(int threads) {
            return set(STREAM_NUMBER, threads);
        }

        public Builder waitingQueueDepth(int tasks) {
            return set(WAITING_QUEUE_DEPTH, tasks);
        }

        public Builder runningQueueDepth(int tasks) {
            return set(RUNNING_QUEUE_DEPTH, tasks);
        }

        public Builder loadQueueDepth(int reads) {
            return set(LOAD_QUEUE_DEPTH, reads);
        }

        public Builder writeQueueDepth(int groups) {
            return set(WRITE_QUEUE_DEPTH, groups);
        }

        public Builder loadIoEngine(LoadIoEngine engine) {
            return set(LOAD_IO_ENGINE, engine);
        }

        /** Sets {@code timeout_ms}; must be whole milliseconds. */
        public Builder timeout(Duration deadline) {
            return set(TIMEOUT_MS, deadline);
        }

        /** Sets {@code write_group_size} (was {@code buffer_size}). */
        public Builder writeGroupSize(ByteSize size) {
            return set(WRITE_GROUP_SIZE, size);
        }

        public Builder capacity(Capacity limit) {
            return set(CAPACITY, limit);
        }

        public Builder segmentSize(ByteSize size) {
            return set(SEGMENT_SIZE, size);
        }

        public Builder durability(Durability mode) {
            return set(DURABILITY, mode);
        }

        public Builder compression(Compression codec) {
            return set(COMPRESSION, codec);
        }

        public Builder autoCommit(boolean enabled) {
            return set(AUTO_COMMIT, enabled);
        }

        public Builder indexCacheSize(ByteSize size) {
            return set(INDEX_CACHE_SIZE, size);
        }

        public Builder gcHighWatermark(double value) {
            return set(GC_HIGH_WATERMARK, value);
        }

        public Builder gcLowWatermark(double value) {
            return set(GC_LOW_WATERMARK, value);
        }

        public Builder evictionPolicy(EvictionPolicy value) {
            return set(EVICTION_POLICY, value);
        }

        public Builder reinsertHits(int value) {
            return set(REINSERT_HITS, value);
        }

        public Builder reinsertBudgetPercent(int value) {
            return set(REINSERT_BUDGET_PERCENT, value);
        }

        public Builder compactionThreshold(double value) {
            return set(COMPACTION_THRESHOLD, value);
        }

        public Builder gcMaxBytesPerSec(ByteSize value) {
            return set(GC_MAX_BYTES_PER_SEC, value);
        }

        public Builder ttl(Duration value) {
            return set(TTL, value);
        }

        public Builder storePipeline(StorePipeline value) {
            return set(STORE_PIPELINE, value);
        }

        /** Sets {@code buffer_size}: the DRAM tier's bytes. */
        public Builder bufferSize(ByteSize size) {
            return set(BUFFER_SIZE, size);
        }

        public Builder cachePath(Path directory) {
            return set(CACHE_PATH, directory);
        }

        public Builder cacheMlock(boolean value) {
            return set(CACHE_MLOCK, value);
        }

        public Builder cacheVerify(CacheVerify value) {
            return set(CACHE_VERIFY, value);
        }

        public Builder cacheEvictionPolicy(CacheEvictionPolicy value) {
            return set(CACHE_EVICTION_POLICY, value);
        }

        public Builder cachePromotion(boolean value) {
            return set(CACHE_PROMOTION, value);
        }

        public Builder cacheWritebackQueue(int blocks) {
            return set(CACHE_WRITEBACK_QUEUE, blocks);
        }

        /**
         * Checks every value and returns the config.
         *
         * @throws ConfigException naming the first bad key, its value as given, its source and what is allowed
         */
        public StoreConfig build() {
            return new StoreConfig(values.build());
        }

        /** For {@link ConfigLoader}: the generic builder, which parses raw values and remembers their source. */
        Settings.Builder values() {
            return values;
        }
    }
}
