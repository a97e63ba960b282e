package io.spillway.engine.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockBuffers;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.SharedArena;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.Task;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.policy.EvictionPolicy;
import io.spillway.engine.policy.LruPolicy;
import io.spillway.engine.policy.S3FifoPolicy;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host DRAM tier ({@code store_pipeline: "Cache"}, and the front of {@code "Cache|Disk"}): a
 * shared-memory arena of fixed-size slots under /dev/shm, indexed by a Chronicle Map beside it.
 * This class is the arena's <em>owner</em>: the one process that stores, evicts and deletes (it
 * holds the cache directory's {@code LOCK}). Any number of other processes read the same blocks
 * through {@link CacheReader}; a restarted owner finds them warm ({@link CacheRecovery}).
 *
 * <p><b>Cross-process protocol.</b> A slot's header holds a sequence number ({@link SlotHeader}):
 * odd while the owner rewrites the slot, even otherwise, only ever increasing. An index entry
 * names the even value its bytes belong to (the generation).
 *
 * <p>The owner stores a block:
 * <ol>
 *   <li>W1. Take a free slot, or evict one (E1-E3). Only the owner allocates, so no cross-process
 *       allocation protocol is needed.
 *   <li>W2. Set the slot's sequence number to the next odd value (a full fence), state WRITING. From
 *       here no reader accepts any old entry of this slot.
 *   <li>W3. Copy the block in and take the CRC32C of the slot's bytes ({@link SlotCopier#copyIn}).
 *   <li>W4. Write the header (state DIRTY, or CLEAN when nothing is written back; length, CRC, key,
 *       write clock, header CRC), then, with release ordering, the next even sequence number.
 *   <li>W5. Put the index entry (slot, length, CRC, state, generation = that even number). Only now
 *       can other processes find the block: no partial block is ever visible.
 * </ol>
 * A reader (this process, or another one) loads a block:
 * <ol>
 *   <li>R1. Check the superblock's index epoch (readers in other processes; the owner's index is
 *       always current): a new epoch means the index was replaced, so reattach first.
 *   <li>R2. Find the entry (the owner uses its in-memory table, which it keeps equal to the index;
 *       others use the index, with a bounded lock wait). Absent, torn or not DIRTY/CLEAN: a miss.
 *   <li>R3. The owner pins the slot, so it cannot be evicted or rewritten during the copy.
 *   <li>R4. Read the slot's sequence number (acquire): if it is not the entry's generation, the slot
 *       was rewritten: a miss.
 *   <li>R5. With {@code cache_verify} on, take the CRC32C of the slot's bytes and compare it with the
 *       entry's; a mismatch with an unchanged sequence number is corruption (the owner drops the
 *       block), with a changed one a miss.
 *   <li>R6. Copy the bytes out. With {@code cache_verify: while_copying} (the default), R5 and R6 run
 *       chunk by chunk (each chunk copied, then CRCed while in the CPU cache), so a CORRUPT block
 *       has reached the destination; {@code before_copying} checks the whole block first.
 *   <li>R7. Read the sequence number again (after an acquire fence): unchanged means the bytes copied
 *       are exactly those stored (and verified); changed means a miss (another process only).
 * </ol>
 * The owner evicts (or deletes) a block:
 * <ol>
 *   <li>E1. Only a CLEAN block (written back, or the tier alone), not pinned and not being written
 *       back, is a victim. Header state EVICTING.
 *   <li>E2. Remove the index entry: new lookups miss from here.
 *   <li>E3. Header state FREE; the slot joins the free list. A reader elsewhere still holding the
 *       old entry either copies the intact old bytes (the sequence number has not moved: the load
 *       linearizes before the eviction) or sees the next W2 and misses.
 * </ol>
 * A writer killed anywhere in W2-W4 leaves a WRITING header with an odd sequence number: no entry
 * names it and no reader accepts it, and the next owner reclaims it (O2). Killed between W4 and
 * W5, it leaves a complete block that the next owner re-indexes from its header. Killed in E1-E3,
 * it leaves an EVICTING slot that the next owner frees. Killed while it held one of the index's
 * segment locks, it leaves the index unusable for that segment: the next owner, which finds the
 * clean-close flag unset, replaces the index (X1-X4) and readers follow the epoch.
 *
 * <p><b>CRC on hits.</b> Fused with the copy (R5-R6, {@code cache_verify: while_copying}, the
 * default), the check reads nothing from DRAM that the copy does not; what it costs is the CRC32C
 * instructions over data already in L1/L2. The sequence number already proves no rewrite
 * overlapped the copy; the CRC adds the guarantee the disk tier gives (a flipped bit, a foreign
 * scribble in the arena is never served as OK). The price of the fusion: a CORRUPT DRAM hit has
 * written its destination, where the disk tier leaves it untouched (the pipeline then reads the
 * disk tier's copy into it). {@code before_copying} keeps the destination untouched and reads the
 * block twice; at 2 MiB the second read mostly misses L2. {@code ./spillway bench --workloads
 * cache} measures every mode against a plain memcpy of the same bytes.
 *
 * <p><b>The contract</b> is {@link BlockStore}'s, with two additions. Blocks are visible once
 * copied in (the tier has no manual commit: {@link #commit} is a no-op), and a block larger than a
 * slot ends {@link Outcome#IO_ERROR} with a message saying so (the pipeline gives it to the disk
 * tier instead). A dump ends {@link Outcome#BUSY} when every slot holds a block that may not be
 * evicted.
 */
public final class CacheTier implements BlockStore {

    private static final Logger LOG = LoggerFactory.getLogger(CacheTier.class);

    private final CacheConfig config;
    private final StoreConfig storeConfig;
    private final StoreLock lock;
    private final SlotArena arena;
    private final SlotTable table;
    private final CacheMetrics metrics;
    private final CopyPool pool;
    private final CacheTasks tasks;
    private final CacheRecovery.Report report;
    private final ScheduledExecutorService maintenance;
    private final IndexRebuilder rebuilder;
    private final ArenaPins sharedArena;
    private volatile String failure;
    private volatile boolean closed;

    private CacheTier(CacheConfig config, StoreConfig storeConfig, FileIO io, StoreLock lock, CacheRecovery.Opened opened,
                      MeterRegistry registry) {
        this.config = config;
        this.storeConfig = storeConfig;
        this.lock = lock;
        this.arena = opened.arena();
        this.report = opened.report();
        this.metrics = new CacheMetrics(registry);
        EvictionPolicy<BlockKey> policy = switch (config.policy()) {
            case S3FIFO -> new S3FifoPolicy<>(arena.layout().slotCount());
            case LRU -> new LruPolicy<>();
        };
        this.maintenance = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("spillway-cache-maintenance").daemon(true).unstarted(r));
        this.rebuilder = new IndexRebuilder(config, io, arena, metrics, maintenance);
        this.table = new SlotTable(arena, opened.index(), policy, metrics, rebuilder::request);
        rebuilder.table(table);
        table.load(opened.cached());
        this.pool = new CopyPool("spillway-cache", config.copyThreads(), config.waitingQueueDepth() * config.copyThreads());
        this.tasks = new CacheTasks(this, pool, config.timeout());
        this.sharedArena = new ArenaPins(this);
        metrics.gauge("cache.blocks", "blocks in DRAM", table::cachedBlocks);
        metrics.gauge("cache.pinned", "DRAM blocks held for clients that copy them out themselves", sharedArena::held);
        metrics.gauge("cache.dirty", "blocks in DRAM not yet written back", table::dirtyBlocks);
        maintenance.scheduleWithFixedDelay(this::checkArena, 1, 1, TimeUnit.SECONDS);
    }

    /** Opens the tier that {@code store_pipeline: "Cache"} describes. */
    public static CacheTier open(StoreConfig config, MeterRegistry registry) throws IOException {
        return open(CacheConfig.from(config), config, registry, new PosixFileIO(false, ArenaLayout.MIN_PAGE));
    }

    /** Opens the tier alone, with a private registry. */
    public static CacheTier open(CacheConfig config) throws IOException {
        return open(config, null, new SimpleMeterRegistry(), new PosixFileIO(false, ArenaLayout.MIN_PAGE));
    }

    /**
     * Opens (creating if needed) the cache directory as its owner: takes its {@code LOCK} (a second
     * owner gets an error naming the first's PID), optionally checks the host can hold it, then
     * runs {@link CacheRecovery}'s steps and locks the arena in RAM if {@code cache_mlock} says so.
     *
     * @param storeConfig the store config it came from, returned by {@link #config()}; may be null
     * @param io the file layer used to reserve the arena's and the index's pages (tests inject
     *     ENOSPC here)
     */
    public static CacheTier open(CacheConfig config, StoreConfig storeConfig, MeterRegistry registry, FileIO io)
            throws IOException {
        HostLimits.check(config);
        Files.createDirectories(config.directory());
        StoreLock lock = StoreLock.acquire(config.directory());
        try {
            CacheRecovery.Opened opened = CacheRecovery.open(config, io);
            try {
                if (config.mlock()) {
                    opened.arena().mlock();
                }
                CacheTier tier = new CacheTier(config, storeConfig, io, lock, opened, registry);
                CacheRecovery.Report r = opened.report();
                LOG.info("opened cache {} ({}): {} blocks ({} dirty), index epoch {}, in {} ms", config.directory(),
                        Superblock.describe(opened.arena().layout()), r.blocks(), r.dirty(), r.epoch(), r.millis());
                return tier;
            } catch (IOException | RuntimeException e) {
                opened.index().close();
                opened.arena().close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- the block operations

    /**
     * Stores one block now (W1-W5), on the calling thread: a memcpy, never a wait.
     *
     * @param state DIRTY when a write-back follows, CLEAN when the block is durable elsewhere or
     *     nothing is written back
     */
    StoreResult storeNow(BlockKey key, List<MemorySegment> sources, int size, SlotState state) {
        String failed = failure;
        if (failed != null) {
            return new StoreResult(StoreResult.Kind.FAILED, null, 0, failed);
        }
        if (size > arena.layout().slotSize()) {
            metrics.tooLarge.increment();
            return new StoreResult(StoreResult.Kind.TOO_LARGE, null, 0, "block of " + size + " bytes is larger than a cache slot ("
                    + arena.layout().slotSize() + " bytes, from kv_block_size)");
        }
        SlotTable.Reservation r = table.reserve(key);
        if (r instanceof SlotTable.Present p) {
            return new StoreResult(p.durable() ? StoreResult.Kind.PRESENT_DURABLE : StoreResult.Kind.PRESENT, null, 0, null);
        }
        if (!(r instanceof SlotTable.Reserved res)) {
            metrics.busy.increment();
            return new StoreResult(StoreResult.Kind.FULL, null, 0, "every DRAM slot holds a block that may not be evicted yet"
                    + " (not written back, or being read)");
        }
        int crc;
        try {
            crc = SlotCopier.copyIn(sources, arena.slot(res.slot().index));
        } catch (CacheFaultException | InternalError e) {
            // An InternalError here is the same fault, surfacing after copyIn returned (compiled
            // code delivers an unsafe-access fault at its next safepoint poll).
            table.abort(res);
            fail(e.getMessage());
            return new StoreResult(StoreResult.Kind.FAILED, null, 0, "the DRAM tier's arena faulted: " + e.getMessage());
        }
        if (!table.publish(res, size, crc, state)) {
            return new StoreResult(StoreResult.Kind.DELETED_MEANWHILE, null, 0, null);
        }
        metrics.stored.increment();
        metrics.bytesIn.increment(size);
        return new StoreResult(StoreResult.Kind.STORED, res.slot(), res.seq() + 1, null);
    }

    /** Loads one block now (R2-R7), on the calling thread. */
    LoadResult loadNow(BlockKey key, List<MemorySegment> destinations, int size) {
        if (failure != null) {
            metrics.misses.increment();
            return LoadResult.MISS;
        }
        SlotTable.Pinned p = table.pin(key);
        if (p == null) {
            metrics.misses.increment();
            return LoadResult.MISS;
        }
        try {
            if (p.length() != size) {
                return new LoadResult(Outcome.IO_ERROR, "destination is " + size + " bytes but the block is " + p.length());
            }
            SlotCopier.Result r;
            try {
                r = SlotCopier.copyOut(arena, p.slot().index, p.generation(), p.length(), p.crc(), destinations,
                        config.verify());
            } catch (InternalError e) {
                r = SlotCopier.Result.FAULT; // the fault surfacing after copyOut returned, as in storeNow
            }
            switch (r) {
                case OK -> {
                    metrics.hits.increment();
                    metrics.bytesOut.increment(size);
                    return new LoadResult(Outcome.OK, null);
                }
                case CORRUPT -> {
                    LOG.error("DRAM block {} in slot {} failed its CRC32C; dropped", key.shortHex(), p.slot().index);
                    table.delete(key);
                    metrics.corrupt.increment();
                    return new LoadResult(Outcome.CORRUPT, "the DRAM copy failed its CRC32C; it was dropped");
                }
                case FAULT -> {
                    fail("the arena faulted during a copy out (its file was truncated?)");
                    metrics.misses.increment();
                    return LoadResult.MISS;
                }
                default -> {
                    metrics.raced.increment();
                    metrics.misses.increment();
                    return LoadResult.MISS;
                }
            }
        } finally {
            table.unpin(p);
        }
    }

    /** Whether the block would fit a slot. */
    boolean fits(int size) {
        return size <= arena.layout().slotSize();
    }

    /** False once the arena faulted or was truncated: the pipeline then bypasses the tier. */
    boolean available() {
        return failure == null && !closed;
    }

    /** Why the tier stopped serving, or null. */
    String failure() {
        return failure;
    }

    SlotTable table() {
        return table;
    }

    CopyPool pool() {
        return pool;
    }

    SlotArena arena() {
        return arena;
    }

    CacheMetrics cacheMetrics() {
        return metrics;
    }

    CacheConfig cacheConfig() {
        return config;
    }

    /** What the open found (blocks, reclaimed slots, rebuilt index). */
    public CacheRecovery.Report openReport() {
        return report;
    }


    /** Stops using the arena: every later store fails, every later load misses. Logged once. */
    /** A copy job threw: an InternalError is the arena faulting (truncated), which stops the tier; the blocks' detail. */
    String jobFailed(Throwable e) {
        if (e instanceof InternalError) {
            fail("the arena faulted (was its file truncated?): " + e.getMessage());
            return "the DRAM tier's arena faulted";
        }
        LOG.error("a DRAM-tier copy job failed", e);
        return "the DRAM tier failed: " + e;
    }

    void fail(String reason) {
        if (failure == null) {
            failure = reason;
            LOG.error("the DRAM tier at {} stopped: {}", config.directory(), reason);
        }
    }

    private void checkArena() {
        if (failure == null && !closed && !arena.intact()) {
            fail("the arena file " + arena.file() + " was truncated by another process");
        }
    }

    // ---------------------------------------------------------------- BlockStore

    @Override
    public BitSet lookup(List<BlockKey> keys) {
        List<BlockKey> k = BlockBuffers.checked(keys);
        ensureOpen();
        BitSet hits = new BitSet(k.size());
        for (int i = 0; i < k.size(); i++) {
            hits.set(i, failure == null && table.contains(k.get(i)));
        }
        return hits;
    }

    @Override
    public int lookupPrefix(List<BlockKey> keys) {
        List<BlockKey> k = BlockBuffers.checked(keys);
        ensureOpen();
        int n = 0;
        while (n < k.size() && failure == null && table.contains(k.get(n))) {
            n++;
        }
        return n;
    }

    @Override
    public Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources) {
        List<BlockKey> k = BlockBuffers.keys(keys);
        BlockArgs.Checked c = BlockArgs.buffers(k, sources, "sources", false, pool.ioThread());
        return tasks.dump(k, c, closed);
    }

    @Override
    public Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations) {
        List<BlockKey> k = BlockBuffers.keys(keys);
        BlockArgs.Checked c = BlockArgs.buffers(k, destinations, "destinations", true, pool.ioThread());
        return tasks.load(k, c, closed);
    }

    /** The tier has no manual commit: blocks are visible once copied in. */
    @Override
    public int commit(List<BlockKey> keys, boolean success) {
        BlockBuffers.checked(keys);
        ensureOpen();
        return 0;
    }

    @Override
    public int delete(List<BlockKey> keys) {
        List<BlockKey> k = BlockBuffers.keys(keys);
        ensureOpen();
        int n = 0;
        for (BlockKey key : k) {
            n += table.delete(key) ? 1 : 0;
        }
        return n;
    }

    @Override
    public StoreStats stats() {
        ensureOpen();
        Map<String, Long> counters = new LinkedHashMap<>(metrics.counters());
        Map<String, String> described = storeConfig == null ? new LinkedHashMap<>() : new LinkedHashMap<>(storeConfig.describe());
        described.put("cache.state", failure == null ? "serving" : "stopped: " + failure);
        return new StoreStats(table.cachedBlocks(), 0, arena.layout().fileSize(), table.cachedBytes(), false, counters,
                Map.of(), described);
    }

    @Override
    public MeterRegistry metrics() {
        return metrics.registry;
    }

    @Override
    public Optional<SharedArena> sharedArena() {
        return Optional.of(sharedArena);
    }

    /** The store config this tier was opened from, or null when it was opened from a {@link CacheConfig} alone. */
    @Override
    public StoreConfig config() {
        return storeConfig;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the cache tier is closed");
        }
    }

    /**
     * Closes the tier: lets running tasks finish (each within its deadline), records the blocks'
     * access clock in the index, marks the superblock cleanly closed (unless the arena failed or
     * an index rebuild is pending, so that the next owner rebuilds the index) and releases the
     * directory's lock. The arena and its blocks stay for the next owner and for readers.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        tasks.awaitOutstanding();
        maintenance.shutdown();
        try {
            pool.close();
            sharedArena.close();
            if (!maintenance.awaitTermination(10, TimeUnit.SECONDS)) {
                maintenance.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (failure == null) {
                table.persistAccessClock();
                if (!rebuilder.suspect()) {
                    arena.superblock().cleanClose(true);
                }
            }
        } finally {
            try {
                table.index().close();
                arena.close();
            } finally {
                lock.close();
            }
        }
        LOG.info("closed cache {}", config.directory());
    }
}
