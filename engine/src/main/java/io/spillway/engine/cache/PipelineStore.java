package io.spillway.engine.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.engine.IoFactory;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockBuffers;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.SharedArena;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.Task;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.PosixFileIO;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code store_pipeline: "Cache|Disk"}: the DRAM tier ({@link CacheTier}) in front of the segment
 * store, as UCM's {@code Cache|Ds3fs} pipeline.
 *
 * <ul>
 *   <li><b>Dump</b>: each block is copied into DRAM as DIRTY and its task's {@link Task#future()}
 *       completes OK (cached: loadable, lost with a host reboot); the {@link WriteBack} writers
 *       then write it to the disk tier in dump order, and {@link Task#whenDurable()} completes
 *       with the disk tier's answer. A full write-back queue, or a DRAM tier full of blocks not yet
 *       written back, makes the block BUSY at once. A key already on either tier is not written
 *       again. A block larger than a slot, or any block while the DRAM tier is unavailable, goes
 *       straight to the disk tier (its task then completes when the disk tier's does).
 *   <li><b>Load</b>: a DRAM hit is one copy out of the slot. A miss (or a DRAM copy that failed its
 *       CRC32C) is read from the disk tier, and, if {@code cache_promotion} is on and the block fits,
 *       copied into DRAM as CLEAN before the task completes (the destination is read back for it,
 *       while the task still owns it).
 *   <li><b>Lookup</b> and <b>lookupPrefix</b> see both tiers.
 *   <li><b>Delete</b> removes from both; a block deleted during its write-back is deleted from the
 *       disk tier after it lands.
 *   <li>The pipeline has no manual commit ({@code auto_commit} must be true): a block is visible
 *       once in DRAM.
 *   <li>If the DRAM tier cannot be opened (/dev/shm full, a foreign file at {@code cache_path}) or
 *       stops (its arena truncated under it), the pipeline logs why and serves from the disk tier
 *       alone; {@code stats} shows {@code cache.state}.
 * </ul>
 * Deadlines: a DRAM copy cannot hang, and a block given to the disk tier carries the disk task's
 * deadline, which starts when it is given (microseconds after submission).
 */
public final class PipelineStore implements BlockStore {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineStore.class);

    private final StoreConfig config;
    private final SegmentStore disk;
    private final CacheTier cache; // null when it could not be opened
    private final String cacheProblem;
    private final WriteBack writeBack;
    private final CopyPool pool;
    private final DiskHandoff handoff;
    private final TaskTracker tasks; // null when the DRAM tier could not be opened
    private volatile boolean closed;

    private PipelineStore(StoreConfig config, SegmentStore disk, CacheTier cache, String cacheProblem) {
        this.config = config;
        this.disk = disk;
        this.cache = cache;
        this.cacheProblem = cacheProblem;
        this.handoff = new DiskHandoff(config, disk, cache, this::cacheUp);
        if (cache != null) {
            this.writeBack = new WriteBack(cache, disk, cache.cacheConfig());
            this.pool = cache.pool();
            this.tasks = new TaskTracker(pool, config.timeout());
            List<SlotTable.Pinned> dirty = cache.table().dirty();
            for (SlotTable.Pinned p : dirty) {
                writeBack.enqueueFound(p);
            }
            if (!dirty.isEmpty()) {
                LOG.info("writing back {} blocks a previous owner left in DRAM", dirty.size());
            }
        } else {
            this.writeBack = null;
            this.pool = null;
            this.tasks = null;
        }
    }

    /** Opens the pipeline that {@code store_pipeline: "Cache|Disk"} describes. */
    public static PipelineStore open(StoreConfig config, MeterRegistry registry) throws IOException {
        return open(config, CacheConfig.from(config), registry, new PosixFileIO(false, ArenaLayout.MIN_PAGE));
    }

    /**
     * Opens the DRAM tier, then the segment store, with one registry for both.
     *
     * @param cacheIo the file layer that reserves the arena's pages (tests inject ENOSPC)
     */
    public static PipelineStore open(StoreConfig config, CacheConfig cacheConfig, MeterRegistry registry, FileIO cacheIo)
            throws IOException {
        return open(config, cacheConfig, registry, cacheIo, IoFactory.PROBING);
    }

    /**
     * As {@link #open(StoreConfig, CacheConfig, MeterRegistry, FileIO)}, the disk tier's files
     * through {@code diskIo} (the model-based tests put it on a simulated disk).
     */
    public static PipelineStore open(StoreConfig config, CacheConfig cacheConfig, MeterRegistry registry, FileIO cacheIo,
            IoFactory diskIo) throws IOException {
        if (!config.autoCommit()) {
            throw new IllegalArgumentException("store_pipeline \"Cache|Disk\" needs auto_commit: true (a block is visible"
                    + " once it is in DRAM)");
        }
        CacheTier cache = null;
        String problem = null;
        try {
            cache = CacheTier.open(cacheConfig, config, registry, cacheIo);
        } catch (IOException | IllegalArgumentException e) {
            problem = e.getMessage();
            LOG.error("the DRAM tier is unavailable, serving from the disk tier alone: {}", problem);
        }
        try {
            return new PipelineStore(config, SegmentStore.open(config, registry, diskIo), cache, problem);
        } catch (IOException | RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            throw e;
        }
    }

    private boolean cacheUp() {
        return cache != null && cache.available();
    }

    /** The DRAM tier, or null if it could not be opened. */
    public CacheTier cacheTier() {
        return cache;
    }

    /** The DRAM tier's arena; none when the tier could not be opened (the disk tier serves alone). */
    @Override
    public Optional<SharedArena> sharedArena() {
        return cache == null ? Optional.empty() : cache.sharedArena();
    }

    /** The disk tier. */
    public SegmentStore diskTier() {
        return disk;
    }

    // ---------------------------------------------------------------- lookups

    @Override
    public BitSet lookup(List<BlockKey> keys) throws IOException {
        List<BlockKey> k = BlockBuffers.checked(keys);
        BitSet hits = disk.lookup(k);
        if (cacheUp()) {
            for (int i = 0; i < k.size(); i++) {
                if (!hits.get(i) && cache.table().contains(k.get(i))) {
                    hits.set(i);
                }
            }
        }
        return hits;
    }

    @Override
    public int lookupPrefix(List<BlockKey> keys) throws IOException {
        List<BlockKey> k = BlockBuffers.checked(keys);
        // A block may be in DRAM only (not yet written back) after one on disk only: each key is
        // looked up in both tiers until the first that neither holds.
        BitSet onDisk = disk.lookup(k);
        int n = 0;
        while (n < k.size() && (onDisk.get(n) || (cacheUp() && cache.table().contains(k.get(n))))) {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- dump

    @Override
    public Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources) {
        return scattered(Task.Kind.D2S, keys, sources, disk::dumpScattered, this::dumpCached);
    }

    private void dumpCached(CacheTask t, List<BlockKey> k, BlockArgs.Checked c) {
        BitSet onDisk;
        try {
            onDisk = disk.lookup(k);
        } catch (IOException | RuntimeException e) {
            t.failAll(Outcome.IO_ERROR, "disk-tier lookup failed: " + e.getMessage());
            return;
        }
        List<Integer> direct = new ArrayList<>();
        for (int i = 0; i < k.size(); i++) {
            if (onDisk.get(i)) {
                t.finishDeduplicated(i, handoff.diskSyncs());
                t.durability().settle(i, Outcome.OK, null, handoff.diskSyncs()); // nothing to write back
            } else if (!cache.fits(c.sizes()[i])) {
                direct.add(i);
            } else {
                int b = i;
                switch (writeBack.tryReserve(k.get(i), new WriteBack.Waiter(t.durability(), i))) {
                    case PENDING -> t.finishDeduplicated(i, false); // being stored or written back: that one answers
                    case DELETING -> {
                        cache.cacheMetrics().busy.increment();
                        t.tryFinish(i, Outcome.BUSY, "the key was just deleted and its earlier write-back is still settling",
                                0, false);
                    }
                    case FULL -> {
                        cache.cacheMetrics().busy.increment();
                        t.tryFinish(i, Outcome.BUSY, "the write-back queue is full (" + cache.cacheConfig().writeBackQueueBlocks()
                                + " blocks; cache_writeback_queue)", 0, false);
                    }
                    case RESERVED -> {
                        if (!t.submit(b, () -> storeBlock(t, b, k.get(b), c.buffers().get(b), c.sizes()[b]))) {
                            writeBack.unreserve(k.get(b), Outcome.BUSY, "the DRAM tier's copy queue was full");
                            cache.cacheMetrics().busy.increment();
                            t.tryFinish(b, Outcome.BUSY, "the DRAM tier's copy queue is full", 0, false);
                        }
                    }
                }
            }
        }
        handoff.toDisk(t, direct, k, c.buffers());
    }

    private void storeBlock(CacheTask t, int i, BlockKey key, List<MemorySegment> src, int size) {
        if (!t.claim(i)) {
            writeBack.unreserve(key, Outcome.TIMEOUT, "the dump that was storing this key timed out");
            return;
        }
        try {
            storeClaimed(t, i, key, src, size);
        } catch (RuntimeException | InternalError e) {
            // A fault surfacing after the store's own handling (compiled code delivers it late):
            // the block must not stay claimed. Its reservation is settled by the write-back.
            t.finishIfClaimed(i, Outcome.IO_ERROR, cache.jobFailed(e));
        }
    }

    private void storeClaimed(CacheTask t, int i, BlockKey key, List<MemorySegment> src, int size) {
        StoreResult r;
        try {
            r = cache.storeNow(key, src, size, SlotState.DIRTY);
        } catch (RuntimeException | InternalError e) {
            r = new StoreResult(StoreResult.Kind.FAILED, null, 0, cache.jobFailed(e));
        }
        if (r.kind() == StoreResult.Kind.PRESENT_DURABLE && !handoff.onDisk(key)) {
            // CLEAN in DRAM, yet the disk tier (looked up at submission, and again now) lacks it:
            // its GC evicted it, or the cache directory was last used in front of another store.
            // Not durable here, so this dump stores it: the DRAM copy is dropped first, so that
            // one version of the key is served, not the DRAM one until it is evicted and then
            // the disk one (the fuzz model's seed 13 of PipelineModelTest).
            writeBack.unreserve(key, Outcome.OK, null);
            cache.delete(List.of(key));
            t.unclaim(i);
            handoff.toDisk(t, List.of(i), List.of(key), List.of(src));
            return;
        }
        switch (r.kind()) {
            case STORED -> {
                writeBack.enqueue(key, new SlotTable.Pinned(r.slot(), r.generation(), size, 0),
                        new WriteBack.Waiter(t.durability(), i));
                t.finishClaimed(i, Outcome.OK, null, size, false);
            }
            case PRESENT, PRESENT_DURABLE, DELETED_MEANWHILE -> {
                // Cached already (CLEAN: on disk too; DIRTY after a failed write-back: not durable), or
                // deleted during the copy (the dump linearizes before the delete).
                // CLEAN says written back, which is durable only if the disk tier syncs.
                boolean durable = r.kind() == StoreResult.Kind.PRESENT_DURABLE && handoff.diskSyncs();
                writeBack.unreserve(key, Outcome.OK, null);
                if (r.kind() == StoreResult.Kind.DELETED_MEANWHILE) {
                    t.finishClaimed(i, Outcome.OK, null, size, false);
                } else {
                    t.finishClaimedDeduplicated(i, durable);
                }
                t.durability().settle(i, Outcome.OK, null, durable);
            }
            case FULL -> {
                writeBack.unreserve(key, Outcome.BUSY, r.detail());
                t.finishClaimed(i, Outcome.BUSY, r.detail(), 0, false);
            }
            case TOO_LARGE, FAILED -> {
                writeBack.unreserve(key, Outcome.IO_ERROR, r.detail());
                t.unclaim(i);
                handoff.toDisk(t, List.of(i), List.of(key), List.of(src)); // the DRAM tier stopped: the disk takes it
            }
        }
    }

    // ---------------------------------------------------------------- load

    @Override
    public Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations) {
        return scattered(Task.Kind.S2D, keys, destinations, disk::loadScattered, this::loadCached);
    }

    private void loadCached(CacheTask t, List<BlockKey> k, BlockArgs.Checked c) {
        List<Integer> misses = new ArrayList<>();
        for (int i = 0; i < k.size(); i++) {
            int b = i;
            if (!cache.table().contains(k.get(i))
                    || !t.submit(b, () -> loadBlock(t, b, k.get(b), c.buffers().get(b), c.sizes()[b]))) {
                misses.add(i);
            }
        }
        handoff.fromDisk(t, misses, k, c);
    }

    private void loadBlock(CacheTask t, int i, BlockKey key, List<MemorySegment> dst, int size) {
        if (!t.claim(i)) {
            return;
        }
        LoadResult r;
        try {
            r = cache.loadNow(key, dst, size);
        } catch (RuntimeException | InternalError e) {
            cache.jobFailed(e);
            r = LoadResult.MISS; // the arena faulted mid-copy: the disk tier answers, overwriting
        }
        if (r.outcome() == Outcome.OK || r.outcome() == Outcome.IO_ERROR) {
            t.finishClaimed(i, r.outcome(), r.detail(), r.outcome() == Outcome.OK ? size : 0, false);
            return;
        }
        t.unclaim(i); // a miss or a corrupt DRAM copy: the disk tier may have it, and then overwrites it
        handoff.fromDisk(t, List.of(i), List.of(key), new BlockArgs.Checked(new int[] {size}, List.of(dst)));
    }

    // ---------------------------------------------------------------- the rest

    /** A no-op: the pipeline runs with auto-commit only. */
    @Override
    public int commit(List<BlockKey> keys, boolean success) {
        BlockBuffers.checked(keys);
        return 0;
    }

    @Override
    public int delete(List<BlockKey> keys) throws IOException {
        List<BlockKey> k = BlockBuffers.keys(keys);
        int cached = 0;
        if (cache != null && !closed) {
            writeBack.deleted(k);
            cached = cache.delete(k);
        }
        return Math.max(cached, disk.delete(k));
    }

    /** See {@link PipelineStats#of}. */
    @Override
    public StoreStats stats() throws IOException {
        return PipelineStats.of(disk.stats(), cache, writeBack, cacheProblem);
    }

    @Override
    public MeterRegistry metrics() {
        return disk.metrics();
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    /** A dump's or a load's work once its arguments are checked and its task started. */
    private interface CachedPath {
        void run(CacheTask t, List<BlockKey> keys, BlockArgs.Checked checked);
    }

    /**
     * What a dump and a load share before they differ: the disk tier alone while the DRAM tier is
     * down, else the buffers checked and a task started for {@code cached} to fill, unless it is
     * already done (no keys, or the pipeline closed).
     */
    private Task scattered(Task.Kind kind, List<BlockKey> keys, List<List<MemorySegment>> buffers,
            BiFunction<List<BlockKey>, List<List<MemorySegment>>, Task> diskOnly, CachedPath cached) {
        List<BlockKey> k = BlockBuffers.keys(keys);
        if (!cacheUp()) {
            return diskOnly.apply(k, buffers);
        }
        boolean load = kind == Task.Kind.S2D;
        BlockArgs.Checked c = BlockArgs.buffers(k, buffers, load ? "destinations" : "sources", load, pool.ioThread());
        CacheTask t = tasks.start(kind, k.size(), !load, closed);
        if (!t.isDone()) {
            cached.run(t, k, c);
        }
        return t;
    }

    /**
     * Closes the pipeline: lets running tasks finish, lets the write-back drain within {@code
     * timeout_ms} (what is left stays DIRTY in DRAM, and the next open writes it back), then closes
     * the DRAM tier and the disk tier.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (tasks != null) {
            tasks.awaitOutstanding();
        }
        IOException failure = null;
        try {
            if (writeBack != null) {
                writeBack.close(config.timeout());
            }
            if (cache != null) {
                cache.close();
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            disk.close();
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
