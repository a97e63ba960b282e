package io.spillway.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every key of {@link StoreConfig}, each declared once: name, type (with its unit), default, rules
 * and doc. {@link ConfigLoader} parses them from YAML and {@code SPILLWAY_<KEY>} variables,
 * {@link StoreConfig.Builder#set} sets them in code, {@link StoreConfig#describe()} prints them, and
 * README.md's configuration table is generated from them ({@code ConfigReadmeTest} fails when it
 * is stale and says how to regenerate it).
 *
 * <p><b>Adding a key</b> is one declaration here, above {@link #SCHEMA}, plus, if callers want one,
 * a one-line accessor in {@link StoreConfig} ({@code return get(StoreKeys.X);}); the builder sets it
 * with {@code set(StoreKeys.X, value)}. Declaration order is the order of {@code describe()}, of the
 * README table and of the checks: a rule or a derived default reads only keys declared above it.
 */
public final class StoreKeys {

    private static final ConfigSchema.Declarations KEYS = ConfigSchema.declarations("StoreConfig");

    /** The index lives on the first backend unless told otherwise: that disk is always there. */
    static final String DEFAULT_INDEX_DIR_NAME = "index";

    private static final String BACKENDS = "storage_backends";

    /** No default: an empty list, refused, so the message says a directory is required. */
    public static final Key<List<Path>> STORAGE_BACKENDS = KEYS.key(BACKENDS, ConfigTypes.pathList())
            .byDefault("(required)", earlier -> List.of())
            .rule(Rule.of("one or more directories", backends -> !backends.isEmpty(),
                    "at least one directory is required (a YAML list, or comma-separated in "
                            + ConfigLoader.envName(BACKENDS) + ")"))
            .rule(new Rule<>("none twice", (backends, settings) -> listedTwice(backends)))
            .doc("where segments go; writers are spread over them");

    public static final Key<Path> INDEX_PATH = KEYS.key("index_path", ConfigTypes.path())
            .byDefault("`<first backend>/" + DEFAULT_INDEX_DIR_NAME + "`",
                    earlier -> earlier.get(STORAGE_BACKENDS).getFirst().resolve(DEFAULT_INDEX_DIR_NAME))
            .doc("the RocksDB index (keep it on local disk when segments are on NFS)");

    public static final Key<ByteSize> KV_BLOCK_SIZE = KEYS.key("kv_block_size", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(2))
            .rule(SizeRules.between(ByteSize.ofKiB(4), ByteSize.ofMiB(256)))
            .doc("expected block size, for sizing the read buffers; other sizes are still stored");

    public static final Key<ByteSize> ALIGNMENT = KEYS.key("alignment", ConfigTypes.sizeInBytes())
            .byDefault(ByteSize.ofBytes(4096))
            .rule(SizeRules.powerOfTwoBetween(ByteSize.ofBytes(512), ByteSize.ofMiB(1)))
            .doc("where payloads start in a segment; fixed when the store is created");

    public static final Key<Boolean> IO_DIRECT = KEYS.key("io_direct", ConfigTypes.bool())
            .byDefault(true)
            .doc("use O_DIRECT where the file system allows it, else buffered IO");

    /** A few IO threads per direction saturate an NVMe drive; more only add contention on small hosts. */
    public static final Key<Integer> STREAM_NUMBER = KEYS.key("stream_number", ConfigTypes.integer(1, 256))
            .byDefault("min(4, cores)", earlier -> Math.min(4, Runtime.getRuntime().availableProcessors()))
            .doc("IO threads per direction: that many append workers, and that many threads that verify and copy out large loaded blocks");

    public static final Key<Integer> WAITING_QUEUE_DEPTH = KEYS.key("waiting_queue_depth", ConfigTypes.integer(1, 1_000_000))
            .byDefault(1024)
            .doc("tasks accepted but not yet started");

    public static final Key<Integer> RUNNING_QUEUE_DEPTH = KEYS.key("running_queue_depth", ConfigTypes.integer(1, 100_000))
            .byDefault(64)
            .doc("tasks executing at once");

    /**
     * fio's best randread of 32 MiB blocks keeps 16-32 whole blocks in flight; 32 chunks of 2 MiB
     * (64 MiB) held 32 MiB loads at 0.54-0.86 of it, 128 chunks at 0.77-1.01 (docs/disk-profile.md).
     * Idle chunks and threads cost nothing: the pool is mapped lazily, read threads start on demand.
     */
    public static final Key<Integer> LOAD_QUEUE_DEPTH = KEYS.key("load_queue_depth", ConfigTypes.integer(1, 4096))
            .byDefault(128)
            .doc("reads in flight for loads, each into a bounce chunk of min(`kv_block_size`, 2 MiB) (the chunks are that much memory at most)");

    public static final Key<LoadIoEngine> LOAD_IO_ENGINE = KEYS.key("load_io_engine", ConfigTypes.enumOf(LoadIoEngine.class))
            .byDefault(LoadIoEngine.AUTO)
            .doc("`auto`: io_uring where the kernel allows it (else threads, logged at open); `threads`: `load_queue_depth` blocking-read threads");

    /**
     * fio's best sequential writes on this project's disks come at iodepth 16 to 32 of 256 KiB;
     * a group is one to several MiB, so a few groups in flight per writer give the disk that much.
     */
    public static final Key<Integer> WRITE_QUEUE_DEPTH = KEYS.key("write_queue_depth", ConfigTypes.integer(1, 256))
            .byDefault(4)
            .doc("group writes in flight per append writer (io_uring where the kernel allows it, else one at a time); 1 writes each group before the next is built");

    public static final Key<Duration> TIMEOUT_MS = KEYS.key("timeout_ms", ConfigTypes.millis(1, 86_400_000))
            .byDefault(Duration.ofSeconds(30))
            .doc("the deadline of each task");

    /** Called {@code buffer_size} before the DRAM tier, which took that name back with seed 002's meaning. */
    public static final Key<ByteSize> WRITE_GROUP_SIZE = KEYS.key("write_group_size", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(16))
            .rule(SizeRules.multipleBetween(ALIGNMENT, ByteSize.ofMiB(1), ByteSize.ofGiB(1)))
            .doc("the aligned staging buffer of each append writer; the largest group written at once (was `buffer_size`)");

    public static final Key<Capacity> CAPACITY = KEYS.key("capacity", ConfigTypes.capacity())
            .byDefault(Capacity.unlimited())
            .doc("the space the store may use; no new segment beyond it");

    public static final Key<ByteSize> SEGMENT_SIZE = KEYS.key("segment_size", ConfigTypes.size())
            .byDefault(ByteSize.ofGiB(1))
            .rule(SizeRules.multipleBetween(ALIGNMENT, ByteSize.ofMiB(1), ByteSize.ofGiB(64)))
            // A segment needs room for at least its header block and one aligned payload.
            .rule(SizeRules.atLeastTimes(2, ALIGNMENT))
            .doc("the size of each segment file");

    public static final Key<Durability> DURABILITY = KEYS.key("durability", ConfigTypes.enumOf(Durability.class))
            .byDefault(Durability.BATCH)
            .doc("when dumped data is fdatasynced; see the modes below");

    public static final Key<Compression> COMPRESSION = KEYS.key("compression", ConfigTypes.enumOf(Compression.class))
            .byDefault(Compression.NONE)
            .doc("the codec of newly dumped payloads: LZ4 per block, kept only when it saves at least 10%");

    public static final Key<Boolean> AUTO_COMMIT = KEYS.key("auto_commit", ConfigTypes.bool())
            .byDefault(true)
            .doc("a successful dump becomes visible without an explicit `commit`");

    public static final Key<ByteSize> INDEX_CACHE_SIZE = KEYS.key("index_cache_size", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(256))
            .rule(SizeRules.between(ByteSize.ofMiB(8), ByteSize.ofGiB(64)))
            .doc("the RocksDB block cache");

    public static final Key<Double> GC_HIGH_WATERMARK = KEYS.key("gc_high_watermark", ConfigTypes.fraction())
            .byDefault(0.9)
            .rule(Rule.of("(0, 1]", high -> high > 0 && high <= 1, "must be a fraction of capacity above 0 and at most 1"))
            .doc("the GC starts evicting when data passes this fraction of `capacity`");

    public static final Key<Double> GC_LOW_WATERMARK = KEYS.key("gc_low_watermark", ConfigTypes.fraction())
            .byDefault(0.8)
            .rule(Rule.of("(0, `gc_high_watermark`)", (low, s) -> low > 0 && low < s.get(GC_HIGH_WATERMARK),
                    s -> "must be a fraction of capacity above 0 and below gc_high_watermark (" + s.get(GC_HIGH_WATERMARK) + ")"))
            .doc("... and evicts down to this fraction");

    public static final Key<EvictionPolicy> EVICTION_POLICY = KEYS.key("eviction_policy", ConfigTypes.enumOf(EvictionPolicy.class))
            .byDefault(EvictionPolicy.FIFO)
            .doc("which sealed segment the GC evicts first: the oldest, or the least recently read");

    /** Twice: once is every block a prefix hit touched; twice is a block that keeps being reused. */
    public static final Key<Integer> REINSERT_HITS = KEYS.key("reinsert_hits", ConfigTypes.integer(0, 1_000_000))
            .byDefault(2)
            .doc("a block read this often since written is copied forward before its segment is evicted (0: never)");

    public static final Key<Integer> REINSERT_BUDGET_PERCENT = KEYS.key("reinsert_budget_percent", ConfigTypes.integer(0, 100))
            .byDefault(10)
            .doc("reinsertion writes at most this percent of the bytes users wrote");

    public static final Key<Double> COMPACTION_THRESHOLD = KEYS.key("compaction_threshold", ConfigTypes.fraction())
            .byDefault(0.3)
            .rule(Rule.of("[0, 1)", t -> t >= 0 && t < 1, "must be a fraction at least 0 and below 1"))
            .doc("a sealed segment whose live fraction falls below this is compacted");

    public static final Key<ByteSize> GC_MAX_BYTES_PER_SEC = KEYS.key("gc_max_bytes_per_sec", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(128))
            .rule(SizeRules.atLeast(ByteSize.ofMiB(1)))
            .doc("GC copy throughput per second, reads plus writes");

    public static final Key<Duration> TTL = KEYS.key("ttl", ConfigTypes.duration())
            .byDefault(Duration.ZERO)
            .rule(Rule.of("`0`, or `90s`, `30m`, `24h`, ... (whole milliseconds)",
                    ttl -> !ttl.isNegative() && ConfigValues.isWholeMillis(ttl),
                    "must be 0 (no TTL) or a positive whole number of milliseconds, e.g. 3600s, 90m, 24h"))
            .doc("blocks older than this are dead (`0`: no TTL)");

    // The DRAM tier (engine.cache), used when store_pipeline has "Cache".

    public static final Key<StorePipeline> STORE_PIPELINE = KEYS.key("store_pipeline",
                    ConfigTypes.spelled(StorePipeline.class, StorePipeline::configName))
            .byDefault(StorePipeline.DISK)
            // A DRAM block is visible as soon as it is copied in; an uncommitted one would have to
            // stay invisible through write-back, which the tier does not track.
            .rule(Rule.of("`Disk`; `Cache|Disk` or `Cache` with `auto_commit: true`",
                    (pipeline, s) -> pipeline == StorePipeline.DISK || s.get(AUTO_COMMIT),
                    s -> "needs auto_commit: true (a block is visible once it is in DRAM)"))
            .doc("the tiers: the segment store alone, the host DRAM tier in front of it (written back), or the DRAM tier alone");

    /** Seed 002's meaning and name; refused above what the host can hold, whatever the pipeline. */
    public static final Key<ByteSize> BUFFER_SIZE = KEYS.key("buffer_size", ConfigTypes.size())
            .byDefault("¼ of RAM", earlier -> HostMemory.defaultCacheBytes())
            .rule(SizeRules.atLeast(ByteSize.ofMiB(1)))
            .rule(SizeRules.atLeastTimes(1, KV_BLOCK_SIZE))
            .rule(Rule.of("at most 90% of RAM", size -> size.bytes() <= HostMemory.maxCacheBytes(),
                    "must be at most 90% of this host's RAM (" + ByteSize.ofBytes(HostMemory.maxCacheBytes()) + ")"))
            .doc("the DRAM bytes of the cache tier (its arena under `cache_path`); one slot per block of up to `kv_block_size`");

    public static final Key<Path> CACHE_PATH = KEYS.key("cache_path", ConfigTypes.path())
            .byDefault(Path.of("/dev/shm/spillway-cache"))
            .doc("the DRAM tier's directory (arena, Chronicle Map index, lock), on a tmpfs; other processes on the host map it");

    public static final Key<Boolean> CACHE_MLOCK = KEYS.key("cache_mlock", ConfigTypes.bool())
            .byDefault(false)
            .doc("lock the arena in RAM (needs RLIMIT_MEMLOCK)");

    /** While copying: the check then reads nothing from DRAM the copy does not (see the README's DRAM-hit figures). */
    public static final Key<CacheVerify> CACHE_VERIFY = KEYS.key("cache_verify", ConfigTypes.enumOf(CacheVerify.class))
            .byDefault(CacheVerify.WHILE_COPYING)
            .doc("a DRAM hit's CRC32C check: chunk by chunk as it is copied (a corrupt block then reaches the "
                    + "destination, reported CORRUPT), over the whole block before copying (destination untouched), or off");

    public static final Key<CacheEvictionPolicy> CACHE_EVICTION_POLICY = KEYS.key("cache_eviction_policy",
                    ConfigTypes.enumOf(CacheEvictionPolicy.class))
            .byDefault(CacheEvictionPolicy.S3FIFO)
            .doc("which DRAM block goes first when the tier is full; a block not yet written back is never evicted");

    public static final Key<Boolean> CACHE_PROMOTION = KEYS.key("cache_promotion", ConfigTypes.bool())
            .byDefault(true)
            .doc("copy a block loaded from the disk tier into DRAM");

    public static final Key<Integer> CACHE_WRITEBACK_QUEUE = KEYS.key("cache_writeback_queue", ConfigTypes.integer(1, 1_000_000))
            .byDefault(1024)
            .doc("DRAM blocks awaiting write-back to the disk tier before new dumps are BUSY");

    // ---- sharing one store between writers (io.spillway.engine.shared; issue 15) ----

    /** Empty: derived once and kept in {@code <index_path>.writer-id}, so it survives restarts. */
    public static final Key<String> WRITER_ID = KEYS.key("writer_id", ConfigTypes.name())
            .byDefault("(derived: `<host>-<random>`, kept beside `index_path`)", earlier -> "")
            .doc("this process's writer name in a shared store (`writers/<id>/` under each backend)");

    public static final Key<Duration> REFRESH_INTERVAL = KEYS.key("refresh_interval", ConfigTypes.millis(10, 3_600_000))
            .byDefault(Duration.ofSeconds(1))
            .doc("shared store: how often other writers' sealed segments are discovered and leases renewed");

    public static final Key<Duration> LEASE_TIMEOUT = KEYS.key("lease_timeout", ConfigTypes.millis(100, 86_400_000))
            .byDefault(Duration.ofSeconds(10))
            .rule(Rule.of("at least 3 x `refresh_interval`", (t, s) -> t.compareTo(s.get(REFRESH_INTERVAL).multipliedBy(3)) >= 0,
                    s -> "must be at least 3 x refresh_interval (" + s.get(REFRESH_INTERVAL).toMillis() + " ms), so a live"
                            + " writer renews its lease several times within it"))
            .doc("shared store: a writer whose lease did not move for this long (by the observer's clock) is adopted");

    /** Every key above, in declaration order. Keep it last: it seals the list. */
    public static final ConfigSchema SCHEMA = KEYS.schema();

    private StoreKeys() {
    }

    /**
     * Two writers appending to one directory would break "one writer per store directory", so no
     * backend may be listed twice, however it is spelled.
     */
    private static Optional<String> listedTwice(List<Path> backends) {
        Set<Path> seen = new HashSet<>();
        for (Path backend : backends) {
            if (!seen.add(backend.toAbsolutePath().normalize())) {
                return Optional.of("lists '" + backend + "' twice; each backend must be a distinct directory");
            }
        }
        return Optional.empty();
    }
}
