package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.BlockStore;


import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;
import io.spillway.index.SegmentStats;
import io.spillway.recovery.EvictionRecovery;
import io.spillway.recovery.IndexOpener;
import io.spillway.recovery.StoreRecovery;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KV block store: the seeds' connector interface (dump, load, lookup, wait, commit) over
 * aligned segment files and a RocksDB index.
 *
 * <p>Thread-safe. {@link #dump} and {@link #load} never block the caller: they queue a
 * {@link Task} and return; the task completes with a per-block {@link Outcome} by its deadline.
 * {@link #lookup}, {@link #lookupPrefix}, {@link #commit} and {@link #delete} are synchronous
 * index operations (RocksDB on local disk).
 *
 * <p>Buffers are {@link MemorySegment}s (heap, direct or native; pinned GPU staging memory
 * included). A dump's sources are read until its blocks are copied into staging; a load's
 * destinations are written only with verified bytes. After a task completes, and after it times
 * out, the store no longer touches its buffers.
 */
public final class SegmentStore implements BlockStore {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentStore.class);
    private static final String META_ALIGNMENT = "alignment";
    private static final String META_COUNTER_PREFIX = "counter.";

    private final StoreConfig config;
    private final List<Backend> backends;
    private final StoreContext ctx;
    private final TaskScheduler scheduler;
    private final List<AppendWorker> writers = new ArrayList<>();
    private final List<List<Thread>> writerThreads = new ArrayList<>();
    private final LoadPath loadPath;
    private final GarbageCollector gc;
    private final Map<String, Long> lifetimeBase;
    private final Set<TaskImpl> outstanding = ConcurrentHashMap.newKeySet();
    private final AtomicLong taskIds = new AtomicLong();
    private final AtomicInteger nextWriter = new AtomicInteger();
    private volatile boolean closed;
    private StoreRecovery.Report recovery;

    private SegmentStore(StoreConfig config, List<Backend> backends, StoreContext ctx, Map<String, Long> lifetimeBase) {
        this.config = config;
        this.backends = backends;
        this.ctx = ctx;
        this.lifetimeBase = lifetimeBase;
        this.scheduler = new TaskScheduler(config.waitingQueueDepth(), config.runningQueueDepth(), ctx.metrics());
        this.gc = new GarbageCollector(ctx, backends);
        for (int i = 0; i < config.streamNumber(); i++) {
            AppendWorker w = new AppendWorker(i, backends.get(i % backends.size()), ctx, gc);
            writers.add(w);
            writerThreads.add(w.start());
        }
        this.loadPath = new LoadPath(ctx, config.streamNumber());
        gc.start();
    }

    /** Opens the store with a private metrics registry. */
    public static SegmentStore open(StoreConfig config) throws IOException {
        return open(config, new SimpleMeterRegistry());
    }

    /**
     * Opens (creating if needed) the store that {@code config} describes.
     *
     * <p>Steps: lock every backend directory (a second opener gets an error naming the holder's
     * PID; a lock left by a dead process is taken over); probe each for O_DIRECT; open the index,
     * replacing one that cannot be opened ({@link IndexOpener}); run startup recovery
     * ({@link StoreRecovery}: a fast path after a clean close, otherwise open segments are
     * scanned, truncated, reconciled and sealed); check the store's alignment has not changed;
     * start the threads.
     *
     * @param registry where the store's meters go
     */
    public static SegmentStore open(StoreConfig config, MeterRegistry registry) throws IOException {
        return open(config, registry, IoFactory.PROBING);
    }

    /** Opens the store with a chosen IO implementation per backend (tests inject faults here). */
    public static SegmentStore open(StoreConfig config, MeterRegistry registry, IoFactory ioFactory) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(ioFactory, "ioFactory");
        int alignment = (int) config.alignment().bytes();
        List<Backend> backends = new ArrayList<>();
        BlockIndex index = null;
        Publisher publisher = null;
        SegmentCatalog catalog = new SegmentCatalog();
        try {
            for (Path dir : config.storageBackends()) {
                java.nio.file.Files.createDirectories(dir);
                StoreLock lock = StoreLock.acquire(dir);
                try {
                    FileIO io = ioFactory.forDirectory(dir, config.ioDirect(), alignment);
                    backends.add(new Backend(backends.size(), dir, io, lock));
                } catch (RuntimeException e) {
                    lock.close();
                    throw e;
                }
            }
            IndexOpener.Opened opened = IndexOpener.open(config.indexPath(), config.indexCacheSize().bytes());
            index = opened.index();
            long stored = index.getMeta(META_ALIGNMENT).orElse(0L);
            if (stored != 0 && stored != alignment) {
                throw new IOException("store at " + config.storageBackends() + " was created with alignment " + stored
                        + "; config key 'alignment' = " + alignment + " cannot change it");
            }
            if (stored == 0) {
                index.putMeta(META_ALIGNMENT, alignment);
            }
            List<StoreRecovery.Directory> dirs = backends.stream().map(b -> new StoreRecovery.Directory(b.dir(), b.io())).toList();
            StoreRecovery.Report recovery = StoreRecovery.run(dirs, index, new EvictionRecovery(), StoreRecovery.Listener.NONE);
            if (opened.replaced() != null) {
                LOG.warn("index {} rebuilt because {}{}: {} segments reconciled from footers, {} scanned, {} open recovered,"
                                + " {} entries, in {} ms", config.indexPath(), opened.replaced(),
                        opened.movedTo() == null ? "" : " (the old one is kept at " + opened.movedTo() + ")",
                        recovery.sealedReconciled(), recovery.sealedScanned(), recovery.openRecovered(), recovery.entriesAdded(),
                        recovery.millis());
            }
            for (Backend b : backends) {
                registerSegments(b, catalog);
            }
            SegmentIds ids = new SegmentIds(index, catalog.maxId());
            boolean syncIndex = config.durability() != io.spillway.engine.config.Durability.NONE;
            publisher = new Publisher(index, config.autoCommit(), syncIndex, backends.get(0).io(), backends.get(0).dir());
            long capacity = config.capacity().resolve(java.nio.file.Files.getFileStore(backends.get(0).dir()).getTotalSpace());
            StoreContext ctx = new StoreContext(config, index, catalog, ids, publisher, new StoreMetrics(registry), capacity);
            Map<String, Long> base = new LinkedHashMap<>();
            for (String name : ctx.metrics().counters().keySet()) {
                base.put(name, index.getMeta(META_COUNTER_PREFIX + name).orElse(0L));
            }
            SegmentStore store = new SegmentStore(config, backends, ctx, base);
            store.recovery = recovery;
            LOG.info("opened store {} ({} segments, direct IO {}, durability {}, {} writers)", config.storageBackends(),
                    catalog.size(), store.directIo(), config.durability().configName(), config.streamNumber());
            return store;
        } catch (IOException | RuntimeException e) {
            if (publisher != null) {
                try {
                    publisher.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            catalog.close();
            if (index != null) {
                index.close();
            }
            for (Backend b : backends) {
                b.lock().close();
            }
            throw e;
        }
    }

    /** Registers a backend's segments (all sealed once recovery ran). Foreign files are left alone. */
    private static void registerSegments(Backend b, SegmentCatalog catalog) throws IOException {
        for (String name : b.io().list(b.dir())) {
            var parsed = SegmentPath.parse(name);
            if (parsed.isPresent() && catalog.get(parsed.get().segmentId()) == null) {
                catalog.add(parsed.get().segmentId(), b, parsed.get().state());
            }
        }
    }

    // ---------------------------------------------------------------- lookups

    /** Which of {@code keys} are stored and committed (one probe of the in-memory key table each). */
    @Override
    public BitSet lookup(List<BlockKey> keys) throws IOException {
        List<RecordKey> k = checkKeys(keys);
        ensureOpen();
        long t0 = System.nanoTime();
        BitSet hits = ctx.index().contains(k);
        countLookup(keys.size(), hits.cardinality(), t0);
        return hits;
    }

    @Override
    public int lookupPrefix(List<BlockKey> keys) throws IOException {
        List<RecordKey> k = checkKeys(keys);
        ensureOpen();
        long t0 = System.nanoTime();
        int hits = ctx.index().prefixHits(k);
        countLookup(Math.min(keys.size(), hits + 1), hits, t0);
        return hits;
    }

    private void countLookup(int looked, int hits, long t0) {
        StoreMetrics m = ctx.metrics();
        m.lookupKeys.increment(looked);
        m.lookupHits.increment(hits);
        m.lookupMisses.increment(looked - hits);
        m.lookupLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------- dump

    @Override
    public Task dump(List<BlockKey> keys, List<MemorySegment> sources) {
        return dumpScattered(keys, singletons(sources, "sources"));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException also for a block larger than a segment can hold
     */
    @Override
    public Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources) {
        List<RecordKey> k = checkKeys(keys);
        int[] sizes = checkBuffers(k, sources, "sources");
        checkReachable(sources, "sources");
        for (int i = 0; i < sizes.length; i++) {
            if (!SegmentWriter.fitsEmpty(new int[] {sizes[i]}, ctx.segmentSize(), ctx.alignment())) {
                throw new IllegalArgumentException("block " + i + " of " + sizes[i] + " bytes does not fit in a segment of "
                        + config.segmentSize() + "; raise segment_size");
            }
        }
        List<List<MemorySegment>> s = List.copyOf(sources.stream().map(List::copyOf).toList());
        return submit(Task.Kind.D2S, keys.size(), task -> dispatchDump(task, k, s, sizes));
    }

    private void dispatchDump(TaskImpl task, List<RecordKey> keys, List<List<MemorySegment>> sources, int[] sizes) {
        Publisher pub = ctx.publisher();
        List<Integer> fresh = new ArrayList<>();
        InFlight[] tokens = new InFlight[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            if (!task.isPending(i)) {
                continue;
            }
            InFlight t = pub.claim(keys.get(i), task, i);
            if (t == null) {
                if (task.finishDeduplicated(i, false)) {
                    ctx.metrics().dumpDeduplicated.increment();
                }
            } else {
                tokens[i] = t;
                fresh.add(i);
            }
        }
        BitSet present;
        try {
            present = ctx.index().contains(fresh.stream().map(keys::get).toList());
        } catch (IOException e) {
            for (int i : fresh) {
                pub.unclaim(tokens[i]);
                task.tryFinish(i, Outcome.IO_ERROR, "index lookup failed: " + e.getMessage());
            }
            return;
        }
        boolean durable = config.durability() != io.spillway.engine.config.Durability.NONE;
        List<Integer> toWrite = new ArrayList<>();
        for (int j = 0; j < fresh.size(); j++) {
            int i = fresh.get(j);
            if (present.get(j)) {
                pub.unclaim(tokens[i]);
                if (task.finishDeduplicated(i, durable)) {
                    ctx.metrics().dumpDeduplicated.increment();
                }
            } else {
                toWrite.add(i);
            }
        }
        // A task that fits one group goes to one writer, whole: one write and one sync for it. A
        // larger one is cut into contiguous runs, one per writer, so its blocks stay together on
        // disk and it still uses every writer.
        long bytes = GroupHeader.headerBlockLength(Math.max(1, toWrite.size()), ctx.alignment());
        for (int i : toWrite) {
            bytes += SegmentLayout.alignUp(sizes[i], ctx.alignment());
        }
        int w = bytes <= ctx.bufferSize() ? 1 : writers.size();
        int per = Math.max(1, (toWrite.size() + w - 1) / w);
        // Rotate over every writer, also for one-writer tasks: taken modulo w, a task that fits one
        // group always went to writer 0, so small-block dumps used one writer whatever stream_number said.
        int start = Math.floorMod(nextWriter.getAndIncrement(), writers.size());
        for (int j = 0; j < toWrite.size(); j++) {
            int i = toWrite.get(j);
            writers.get((start + j / per) % writers.size()).submit(new BlockWrite(task, i, tokens[i], sources.get(i), sizes[i]));
        }
    }

    // ---------------------------------------------------------------- load

    @Override
    public Task load(List<BlockKey> keys, List<MemorySegment> destinations) {
        return loadScattered(keys, singletons(destinations, "destinations"));
    }

    @Override
    public Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations) {
        List<RecordKey> k = checkKeys(keys);
        int[] sizes = checkBuffers(k, destinations, "destinations");
        checkReachable(destinations, "destinations");
        for (List<MemorySegment> d : destinations) {
            for (MemorySegment p : d) {
                if (p.isReadOnly()) {
                    throw new IllegalArgumentException("a load destination is read-only");
                }
            }
        }
        List<List<MemorySegment>> d = List.copyOf(destinations.stream().map(List::copyOf).toList());
        return submit(Task.Kind.S2D, keys.size(), task -> dispatchLoad(task, k, d, sizes));
    }

    private void dispatchLoad(TaskImpl task, List<RecordKey> keys, List<List<MemorySegment>> destinations, int[] sizes) {
        List<BlockLocation> locs;
        try {
            locs = ctx.index().getAll(keys);
        } catch (IOException e) {
            task.failAll(Outcome.IO_ERROR, "index lookup failed: " + e.getMessage());
            return;
        }
        for (int i = 0; i < keys.size(); i++) {
            BlockLocation loc = locs.get(i);
            if (loc == null) {
                ctx.metrics().loadMissing.increment();
                task.tryFinish(i, Outcome.MISSING, "not in the store");
            } else if (loc.rawLength() != sizes[i]) {
                task.tryFinish(i, Outcome.IO_ERROR, "destination is " + sizes[i] + " bytes but the block is " + loc.rawLength());
            } else {
                loadPath.submit(task, i, keys.get(i), loc, destinations.get(i));
            }
        }
    }

    // ---------------------------------------------------------------- commit, delete

    @Override
    public int commit(List<BlockKey> keys, boolean success) throws IOException {
        List<RecordKey> k = checkKeys(keys);
        ensureOpen();
        return ctx.publisher().commit(k, success);
    }

    /** {@inheritDoc} Their bytes become dead space in their segments. */
    @Override
    public int delete(List<BlockKey> keys) throws IOException {
        List<RecordKey> k = checkKeys(keys);
        ensureOpen();
        return ctx.publisher().delete(k);
    }

    // ---------------------------------------------------------------- gc

    /**
     * Runs a GC pass now, on the calling thread: expired and sparse segments first, then, if the
     * store is over its high watermark, eviction down to the low one.
     *
     * @param untilBytes evict (oldest or coldest first) until the store's data (sealed segments
     *     as allocated, open ones as written) is at most this many bytes, whatever the watermarks
     *     say; -1 to follow the watermarks
     */
    public GcReport gc(long untilBytes) throws IOException {
        ensureOpen();
        try {
            return gc.runPass(untilBytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("GC pass interrupted");
        }
    }

    /**
     * Pins the segment that holds {@code key}'s record, for a reader outside the store's load
     * path (the GPU module's direct-to-device reads), until the result is closed: the GC's
     * eviction waits for it as for a load in flight. See {@link PinnedRecord} for the protocol.
     *
     * @return empty when the key is not indexed, has expired, or its segment is being evicted
     */
    public Optional<PinnedRecord> pin(BlockKey key) throws IOException {
        ensureOpen();
        return PinnedRecord.pin(ctx, key);
    }

    // ---------------------------------------------------------------- stats

    @Override
    public StoreStats stats() throws IOException {
        ensureOpen();
        long live = 0;
        for (SegmentStats s : ctx.index().segmentStats().values()) {
            live += s.liveBytes();
        }
        Map<String, Long> counters = new LinkedHashMap<>();
        ctx.metrics().counters().forEach((name, v) -> counters.put(name, v + lifetimeBase.getOrDefault(name, 0L)));
        Map<String, Double> latency = new LinkedHashMap<>();
        putLatency(latency, "dump", ctx.metrics().dumpLatency);
        putLatency(latency, "load", ctx.metrics().loadLatency);
        putLatency(latency, "lookup", ctx.metrics().lookupLatency);
        return new StoreStats(ctx.index().estimatedKeys(), ctx.catalog().size(), ctx.catalog().allocatedBytes(), live, directIo(),
                counters, latency, config.describe());
    }

    private static void putLatency(Map<String, Double> out, String name, io.micrometer.core.instrument.Timer t) {
        double[] p = StoreMetrics.percentilesMillis(t);
        out.put(name + ".p50", p[0]);
        out.put(name + ".p99", p[1]);
    }

    /** The shared internals, for white-box tests in this package. */
    StoreContext context() {
        return ctx;
    }

    /** The index, for tests in this package (crash images take a checkpoint of it). */
    io.spillway.index.BlockIndex indexForTests() {
        return ctx.index();
    }

    /** What startup recovery did when this store was opened. */
    public StoreRecovery.Report recoveryReport() {
        return recovery;
    }

    @Override
    public MeterRegistry metrics() {
        return ctx.metrics().registry;
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    /** Whether every backend does O_DIRECT IO (false where a file system refused it). */
    public boolean directIo() {
        return backends.stream().allMatch(b -> b.io().directIo());
    }

    // ---------------------------------------------------------------- plumbing

    private interface Dispatch {
        void run(TaskImpl task);
    }

    private Task submit(Task.Kind kind, int blocks, Dispatch dispatch) {
        AtomicInteger phase = new AtomicInteger();
        long id = taskIds.incrementAndGet();
        TaskImpl task = new TaskImpl(id, kind, blocks, config.timeout(), t -> onComplete(t, phase));
        if (blocks == 0) {
            return task;
        }
        outstanding.add(task);
        if (task.isDone()) {
            outstanding.remove(task);
        }
        if (closed) {
            task.failAll(Outcome.IO_ERROR, "the store is closed");
            return task;
        }
        scheduler.submit(task, () -> dispatch.run(task), phase);
        return task;
    }

    private void onComplete(TaskImpl task, AtomicInteger phase) {
        if (scheduler != null) {
            scheduler.finished(phase);
        }
        outstanding.remove(task);
        TaskResult r = task.result();
        if (r == null) {
            return;
        }
        StoreMetrics m = ctx.metrics();
        (task.kind() == Task.Kind.D2S ? m.dumpLatency : m.loadLatency).record(r.elapsed());
        int timeouts = r.counts().getOrDefault(Outcome.TIMEOUT, 0);
        if (timeouts > 0) {
            m.timeouts.increment(timeouts);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("Task({}, {}, {}, {}) finished, elapsed {} s", task.id(), task.kind(), task.size(), r.bytes(),
                    String.format("%.6f", r.elapsed().toNanos() / 1e9));
        }
    }

    private static List<List<MemorySegment>> singletons(List<MemorySegment> buffers, String what) {
        Objects.requireNonNull(buffers, what);
        List<List<MemorySegment>> out = new ArrayList<>(buffers.size());
        for (int i = 0; i < buffers.size(); i++) {
            MemorySegment b = buffers.get(i);
            if (b == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            out.add(List.of(b));
        }
        return out;
    }

    /** Refuses null keys; returns them as the format layer's keys (an immutable copy of the list, not of the keys). */
    private static List<RecordKey> checkKeys(List<BlockKey> keys) {
        Objects.requireNonNull(keys, "keys");
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i) == null) {
                throw new IllegalArgumentException("keys[" + i + "] is null");
            }
        }
        return List.copyOf(keys);
    }

    private static int[] checkBuffers(List<RecordKey> keys, List<List<MemorySegment>> buffers, String what) {
        Objects.requireNonNull(buffers, what);
        if (buffers.size() != keys.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + buffers.size() + " " + what);
        }
        int[] sizes = new int[keys.size()];
        for (int i = 0; i < buffers.size(); i++) {
            List<MemorySegment> pieces = buffers.get(i);
            if (pieces == null || pieces.isEmpty()) {
                throw new IllegalArgumentException(what + "[" + i + "] has no pieces");
            }
            long total = 0;
            for (MemorySegment p : pieces) {
                if (p == null) {
                    throw new IllegalArgumentException(what + "[" + i + "] has a null piece");
                }
                total += p.byteSize();
            }
            if (total < MIN_BLOCK_BYTES || total > MAX_BLOCK_BYTES) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + total + " bytes; a block is "
                        + MIN_BLOCK_BYTES + " bytes to 256 MiB");
            }
            sizes[i] = (int) total;
        }
        return sizes;
    }

    /**
     * The store's IO threads, not the caller's, copy from sources and into destinations: memory
     * confined to the caller's thread, or already freed, would fail there (a load could then never
     * complete), so it is refused here.
     */
    private void checkReachable(List<List<MemorySegment>> buffers, String what) {
        Thread ioThread = writerThreads.getFirst().getFirst();
        for (int i = 0; i < buffers.size(); i++) {
            for (MemorySegment p : buffers.get(i)) {
                if (!p.scope().isAlive()) {
                    throw new IllegalArgumentException(what + "[" + i + "] is freed (its arena is closed)");
                }
                if (!p.isAccessibleBy(ioThread)) {
                    throw new IllegalArgumentException(what + "[" + i + "] is confined to one thread and the store's IO threads"
                            + " cannot reach it; use a heap segment or memory from Arena.ofShared(), ofAuto() or global()");
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
    }

    /**
     * Closes the store: stops admitting tasks, lets queued and running ones finish (each within
     * its deadline), seals every active segment, persists lifetime counters, flushes the index,
     * writes the clean-shutdown marker (unless a segment was left for recovery) and releases the
     * directory locks. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.stopAdmitting();
        long waitUntil = System.nanoTime() + config.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        for (TaskImpl t : List.copyOf(outstanding)) {
            try {
                t.await(Duration.ofNanos(Math.max(0, waitUntil - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean abandonedAny = false;
        try {
            scheduler.close();
            gc.close();
        } catch (IOException e) {
            LOG.error("closing the GC failed: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            writers.forEach(AppendWorker::stop);
            for (int i = 0; i < writerThreads.size(); i++) {
                for (Thread t : writerThreads.get(i)) {
                    t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1_000_000_000L, waitUntil - System.nanoTime())));
                    if (t.isAlive()) {
                        LOG.error("{} did not stop (hung IO?); its segment is left for recovery", t.getName());
                        writers.get(i).abandon();
                        abandonedAny = true;
                    }
                }
                writers.get(i).releaseMemory();
            }
            loadPath.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IOException failure = null;
        try (BlockIndex.Batch b = ctx.index().batch()) {
            for (Map.Entry<String, Long> e : ctx.metrics().counters().entrySet()) {
                b.putMeta(META_COUNTER_PREFIX + e.getKey(), e.getValue() + lifetimeBase.getOrDefault(e.getKey(), 0L));
            }
            // Segments left open (a failed or stuck writer): every block in them has had its outcome
            // reported by now, so none may be re-indexed by the next recovery.
            for (SegmentCatalog.Entry e : ctx.catalog().entries()) {
                if (e.state == SegmentPath.State.OPEN) {
                    b.fence(e.id);
                }
            }
            ctx.index().write(b, true);
            ctx.index().flush();
            // Last: the next open may skip recovery. Not when a segment is left open for it.
            if (!abandonedAny && !ctx.catalog().anyFailed()) {
                StoreRecovery.markClean(ctx.index());
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            ctx.publisher().close();
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        ctx.catalog().close();
        ctx.index().close();
        for (Backend b : backends) {
            try {
                b.lock().close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        LOG.info("closed store {}", config.storageBackends());
        if (failure != null) {
            throw failure;
        }
    }


}
