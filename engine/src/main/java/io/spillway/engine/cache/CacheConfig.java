package io.spillway.engine.cache;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The DRAM tier's settings. {@link CacheSettings#from} derives one from a store's config keys.
 *
 * @param directory where the arena ({@code arena}), the index ({@code index-<epoch>.cmap}) and
 *     the owner's {@code LOCK} live; a tmpfs such as /dev/shm ({@code cache_path})
 * @param capacityBytes the DRAM bytes of the tier ({@code buffer_size}), rounded down to whole slots
 * @param blockSize the expected block size ({@code kv_block_size}): one slot holds one block of
 *     up to this size, rounded up to the page and to {@code alignment}
 * @param alignment the disk tier's payload alignment; slots are a multiple of it
 * @param mlock lock the arena in RAM ({@code cache_mlock})
 * @param verifyOnHit check each hit's CRC32C before copying it out ({@code cache_verify})
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
                          boolean verifyOnHit, Policy policy, boolean promotion, Duration lockTimeout, Duration timeout,
                          int copyThreads, int waitingQueueDepth, int writeBackQueueBlocks, int writeBackThreads,
                          int writeBackBatchBlocks) {

    /** The eviction policies of the DRAM tier. */
    public enum Policy {
        /** S3-FIFO: a small probationary FIFO, a main FIFO with reinsertion, and a ghost queue. */
        S3FIFO("s3fifo"),
        /** Exact LRU. */
        LRU("lru");

        private final String configName;

        Policy(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static Policy parse(String s) {
            for (Policy p : values()) {
                if (p.configName.equalsIgnoreCase(s.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("cache_eviction_policy '" + s + "' is not one of s3fifo, lru");
        }
    }

    /** The default arena directory. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm/spillway-cache");
    /** The default DRAM budget: this fraction of the host's RAM. */
    public static final double DEFAULT_RAM_FRACTION = 0.25;
    /** The most of the host's RAM a cache may take. */
    public static final double MAX_RAM_FRACTION = 0.9;

    public CacheConfig {
        Objects.requireNonNull(directory, "cache_path");
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
        b.verifyOnHit = verifyOnHit;
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
        private boolean verifyOnHit = true;
        private Policy policy = Policy.S3FIFO;
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
        public Builder verifyOnHit(boolean v) { verifyOnHit = v; return this; }
        public Builder policy(Policy v) { policy = v; return this; }
        public Builder promotion(boolean v) { promotion = v; return this; }
        public Builder lockTimeout(Duration v) { lockTimeout = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder copyThreads(int v) { copyThreads = v; return this; }
        public Builder waitingQueueDepth(int v) { waitingQueueDepth = v; return this; }
        public Builder writeBackQueueBlocks(int v) { writeBackQueueBlocks = v; return this; }
        public Builder writeBackThreads(int v) { writeBackThreads = v; return this; }
        public Builder writeBackBatchBlocks(int v) { writeBackBatchBlocks = v; return this; }

        public CacheConfig build() {
            return new CacheConfig(directory, capacityBytes, blockSize, alignment, mlock, verifyOnHit, policy, promotion,
                    lockTimeout, timeout, copyThreads, waitingQueueDepth, writeBackQueueBlocks, writeBackThreads,
                    writeBackBatchBlocks);
        }
    }

    /** The arena geometry this config asks for. */
    public ArenaLayout layout() {
        return ArenaLayout.of(capacityBytes, blockSize, alignment);
    }

    /** The arena file. */
    public Path arenaFile() {
        return directory.resolve("arena");
    }

    /** The host's physical memory in bytes. */
    public static long hostMemoryBytes() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** The default DRAM budget: {@value #DEFAULT_RAM_FRACTION} of the host's RAM. */
    public static long defaultCapacityBytes() {
        return (long) (hostMemoryBytes() * DEFAULT_RAM_FRACTION);
    }
}
