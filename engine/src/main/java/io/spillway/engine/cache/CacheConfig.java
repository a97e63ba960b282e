package io.spillway.engine.cache;

import io.spillway.engine.config.CacheEvictionPolicy;
import io.spillway.engine.config.CacheVerify;
import io.spillway.engine.config.StoreConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The DRAM tier's settings. {@link #from} derives one from a store's config keys.
 *
 * @param directory where the arena ({@code arena}), the index ({@code index-<epoch>.cmap}) and
 *     the owner's {@code LOCK} live; a tmpfs such as /dev/shm ({@code cache_path})
 * @param capacityBytes the DRAM bytes of the tier ({@code buffer_size}), rounded down to whole slots
 * @param blockSize the expected block size ({@code kv_block_size}): one slot holds one block of
 *     up to this size, rounded up to the page and to {@code alignment}
 * @param alignment the disk tier's payload alignment; slots are a multiple of it
 * @param mlock lock the arena in RAM ({@code cache_mlock})
 * @param verify how each hit's CRC32C is checked ({@code cache_verify})
 * @param policy which block goes first when the tier is full ({@code cache_eviction_policy})
 * @param promotion whether a disk-tier hit is copied into DRAM ({@code cache_promotion})
 * @param lockTimeout the longest wait for a segment lock of the index ({@code cache_lock_timeout_ms})
 * @param timeout each task's deadline ({@code timeout_ms})
 * @param copyThreads threads that copy blocks in and out ({@code stream_number})
 * @param waitingQueueDepth blocks queued for a copy thread before dumps and loads are BUSY
 *     ({@code waiting_queue_depth}, in tasks, times the copy threads)
 * @param writeBackQueueBlocks DRAM blocks awaiting write-back before new dumps are BUSY
 *     ({@code cache_writeback_queue})
 * @param writeBackThreads concurrent write-back tasks to the disk tier
 * @param writeBackBatchBlocks the most blocks per write-back task (one disk group commit)
 */
public record CacheConfig(Path directory, long capacityBytes, long blockSize, int alignment, boolean mlock,
                          CacheVerify verify, CacheEvictionPolicy policy, boolean promotion, Duration lockTimeout, Duration timeout,
                          int copyThreads, int waitingQueueDepth, int writeBackQueueBlocks, int writeBackThreads,
                          int writeBackBatchBlocks) {

    public CacheConfig {
        Objects.requireNonNull(directory, "cache_path");
        Objects.requireNonNull(verify, "cache_verify");
        Objects.requireNonNull(policy, "cache_eviction_policy");
        Objects.requireNonNull(lockTimeout, "cache_lock_timeout_ms");
        Objects.requireNonNull(timeout, "timeout_ms");
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("buffer_size (the cache tier's DRAM) must be positive, got " + capacityBytes);
        }
        if (blockSize < 4096 || alignment < 512 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("need kv_block_size >= 4096 and a power-of-two alignment >= 512, got "
                    + blockSize + " and " + alignment);
        }
        if (lockTimeout.isNegative() || lockTimeout.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("cache_lock_timeout_ms and timeout_ms must be positive");
        }
        if (copyThreads < 1 || waitingQueueDepth < 1 || writeBackQueueBlocks < 1 || writeBackThreads < 1
                || writeBackBatchBlocks < 1) {
            throw new IllegalArgumentException("copy threads, queue depths and write-back threads must be at least 1");
        }
    }

    /** A config with the defaults for everything but the directory, the capacity and the block size. */
    public static CacheConfig of(Path directory, long capacityBytes, long blockSize) {
        return builder(directory, capacityBytes, blockSize).build();
    }

    /** A builder holding the defaults for everything but the directory, the capacity and the block size. */
    public static Builder builder(Path directory, long capacityBytes, long blockSize) {
        return new Builder(directory, capacityBytes, blockSize);
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder(directory, capacityBytes, blockSize);
        b.alignment = alignment;
        b.mlock = mlock;
        b.verify = verify;
        b.policy = policy;
        b.promotion = promotion;
        b.lockTimeout = lockTimeout;
        b.timeout = timeout;
        b.copyThreads = copyThreads;
        b.waitingQueueDepth = waitingQueueDepth;
        b.writeBackQueueBlocks = writeBackQueueBlocks;
        b.writeBackThreads = writeBackThreads;
        b.writeBackBatchBlocks = writeBackBatchBlocks;
        return b;
    }

    /** Collects values; {@link #build()} checks them. */
    public static final class Builder {
        private final Path directory;
        private final long capacityBytes;
        private final long blockSize;
        private int alignment = 4096;
        private boolean mlock;
        private CacheVerify verify = CacheVerify.WHILE_COPYING;
        private CacheEvictionPolicy policy = CacheEvictionPolicy.S3FIFO;
        private boolean promotion = true;
        private Duration lockTimeout = Duration.ofMillis(200);
        private Duration timeout = Duration.ofSeconds(30);
        private int copyThreads = Math.min(4, Runtime.getRuntime().availableProcessors());
        private int waitingQueueDepth = 1024;
        private int writeBackQueueBlocks = 1024;
        private int writeBackThreads = 2;
        private int writeBackBatchBlocks = 8;

        private Builder(Path directory, long capacityBytes, long blockSize) {
            this.directory = directory;
            this.capacityBytes = capacityBytes;
            this.blockSize = blockSize;
        }

        public Builder alignment(int v) { alignment = v; return this; }
        public Builder mlock(boolean v) { mlock = v; return this; }
        public Builder verify(CacheVerify v) { verify = v; return this; }
        public Builder policy(CacheEvictionPolicy v) { policy = v; return this; }
        public Builder promotion(boolean v) { promotion = v; return this; }
        public Builder lockTimeout(Duration v) { lockTimeout = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder copyThreads(int v) { copyThreads = v; return this; }
        public Builder waitingQueueDepth(int v) { waitingQueueDepth = v; return this; }
        public Builder writeBackQueueBlocks(int v) { writeBackQueueBlocks = v; return this; }
        public Builder writeBackThreads(int v) { writeBackThreads = v; return this; }
        public Builder writeBackBatchBlocks(int v) { writeBackBatchBlocks = v; return this; }

        public CacheConfig build() {
            return new CacheConfig(directory, capacityBytes, blockSize, alignment, mlock, verify, policy, promotion,
                    lockTimeout, timeout, copyThreads, waitingQueueDepth, writeBackQueueBlocks, writeBackThreads,
                    writeBackBatchBlocks);
        }
    }

    /**
     * The DRAM tier of {@code c}: {@code buffer_size}, {@code cache_*}, and from the store's
     * keys {@code kv_block_size}, {@code alignment}, {@code timeout_ms}, {@code stream_number}
     * (copy threads) and {@code waiting_queue_depth}.
     */
    public static CacheConfig from(StoreConfig c) {
        return builder(c.cachePath(), c.bufferSize().bytes(), c.kvBlockSize().bytes()).alignment((int) c.alignment().bytes())
                .mlock(c.cacheMlock()).verify(c.cacheVerify()).policy(c.cacheEvictionPolicy()).promotion(c.cachePromotion())
                .timeout(c.timeout()).copyThreads(c.streamNumber()).waitingQueueDepth(c.waitingQueueDepth())
                .writeBackQueueBlocks(c.cacheWritebackQueue()).writeBackThreads(Math.max(1, Math.min(2, c.streamNumber())))
                .build();
    }

    /** The arena geometry this config asks for. */
    public ArenaLayout layout() {
        return ArenaLayout.of(capacityBytes, blockSize, alignment);
    }

    /** The arena file. */
    public Path arenaFile() {
        return directory.resolve("arena");
    }
}
