package io.spillway.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockBuffers;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.Task;
import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;
import io.spillway.index.SegmentStats;
import io.spillway.segments.RecordKey;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment store: the {@link BlockStore} over aligned segment files and a RocksDB index.
 *
 * <p>Thread-safe. {@link #dump} and {@link #load} never block the caller: they queue a
 * {@link Task} and return; the task completes with a per-block {@link Outcome} by its deadline.
 * {@link #lookup}, {@link #lookupPrefix}, {@link #commit} and {@link #delete} are synchronous
 * index operations (RocksDB on local disk).
 *
 * <p>This class is the facade: it checks arguments and routes each call. Opening is {@link
 * StoreOpener}'s, running tasks {@link TaskAdmission}'s, {@link DumpDispatcher}'s and {@link
 * LoadDispatcher}'s, keeping the capacity {@link GarbageCollector}'s, and closing {@link
 * CloseSequence}'s.
 */
public final class SegmentStore implements BlockStore {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentStore.class);

    private final StoreOpener.Opened opened;
    private final StoreContext ctx;
    private final TaskAdmission tasks;
    private final GarbageCollector gc;
    private final WriterPool writers;
    private final DumpDispatcher dumps;
    private final LoadDispatcher loads;
    private final CloseSequence closing;
    private volatile boolean closed;

    /** Starts the threads: the scheduler's, the writers', the readers' and the GC's. */
    private SegmentStore(StoreOpener.Opened opened) {
        this.opened = opened;
        this.ctx = opened.ctx();
        StoreConfig config = ctx.config();
        this.tasks = new TaskAdmission(config, ctx.metrics());
        this.gc = new GarbageCollector(ctx, opened.backends(), GcPolicies.reinsertion(config, ctx.metrics()));
        this.writers = new WriterPool(ctx, opened.backends(), gc, config.streamNumber());
        LoadPath loadPath = new LoadPath(ctx, config.streamNumber());
        this.dumps = new DumpDispatcher(ctx, writers);
        this.loads = new LoadDispatcher(ctx, loadPath);
        this.closing = new CloseSequence(opened, tasks, gc, writers, loadPath);
        gc.start();
    }

    /** Opens the store with a private metrics registry. */
    public static SegmentStore open(StoreConfig config) throws IOException {
        return open(config, new SimpleMeterRegistry());
    }

    /**
     * Opens (creating if needed) the store that {@code config} describes: locks, IO probe, index,
     * alignment check, startup recovery, catalog (see {@link StoreOpener} for the steps), then
     * starts the threads.
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
        StoreOpener.Opened opened = StoreOpener.open(config, registry, ioFactory);
        SegmentStore store;
        try {
            store = new SegmentStore(opened);
        } catch (RuntimeException e) {
            opened.abandon(e);
            throw e;
        }
        LOG.info("opened store {} ({} segments, direct IO {}, durability {}, {} writers)", config.storageBackends(),
                opened.ctx().catalog().size(), store.directIo(), config.durability().configName(), config.streamNumber());
        return store;
    }

    // ---------------------------------------------------------------- lookups

    /** Which of {@code keys} are stored and committed (one probe of the in-memory key table each). */
    @Override
    public BitSet lookup(List<BlockKey> keys) throws IOException {
        return counted(keys, BlockIndex::contains, BitSet::cardinality, hits -> keys.size());
    }

    @Override
    public int lookupPrefix(List<BlockKey> keys) throws IOException {
        // The probe stops at the first miss: the keys after it are not looked up.
        return counted(keys, BlockIndex::prefixHits, hits -> hits, hits -> Math.min(keys.size(), hits + 1));
    }

    private interface Probe<R> {
        R run(BlockIndex index, List<? extends RecordKey> keys) throws IOException;
    }

    /** Runs {@code probe} on the open store, its latency, keys and hits counted in the lookup metrics. */
    private <R> R counted(List<BlockKey> keys, Probe<R> probe, ToIntFunction<R> hitsOf, IntUnaryOperator lookedFor)
            throws IOException {
        // No copy: the probe reads the caller's list only while this call runs (1,000 keys a call).
        List<BlockKey> k = BlockBuffers.checked(keys);
        ensureOpen();
        long t0 = System.nanoTime();
        R result = probe.run(ctx.index(), k);
        int hits = hitsOf.applyAsInt(result);
        int looked = lookedFor.applyAsInt(hits);
        StoreMetrics m = ctx.metrics();
        m.lookupKeys.increment(looked);
        m.lookupHits.increment(hits);
        m.lookupMisses.increment(looked - hits);
        m.lookupLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        return result;
    }

    // ---------------------------------------------------------------- dump, load

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException also for a block larger than a segment can hold
     */
    @Override
    public Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources) {
        CheckedBlocks blocks = BufferChecks.blocks(keys, sources, "sources", writers.ioThread());
        dumps.checkFits(blocks.sizes());
        return tasks.submit(Task.Kind.D2S, blocks.size(), task -> dumps.dispatch(task, blocks));
    }

    @Override
    public Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations) {
        CheckedBlocks blocks = BufferChecks.blocks(keys, destinations, "destinations", writers.ioThread());
        BufferChecks.writable(blocks.buffers());
        return tasks.submit(Task.Kind.S2D, blocks.size(), task -> loads.dispatch(task, blocks));
    }

    // ---------------------------------------------------------------- commit, delete, gc

    @Override
    public int commit(List<BlockKey> keys, boolean success) throws IOException {
        List<RecordKey> k = BufferChecks.keys(keys);
        ensureOpen();
        return ctx.publisher().commit(k, success);
    }

    /** {@inheritDoc} Their bytes become dead space in their segments. */
    @Override
    public int delete(List<BlockKey> keys) throws IOException {
        List<RecordKey> k = BufferChecks.keys(keys);
        ensureOpen();
        return ctx.publisher().delete(k);
    }

    /**
     * Runs a GC pass now, on the calling thread: expired and sparse segments first, then, if the
     * store is over its high watermark, eviction down to the low one.
     *
     * @param untilBytes evict (in the eviction policy's order) until the store's data (sealed
     *     segments as allocated, open ones as written) is at most this many bytes, whatever the
     *     watermarks say; -1 to follow the watermarks
     */
    public GcReport gc(long untilBytes) throws IOException {
        ensureOpen();
        try {
            return gc.runPass(untilBytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("GC pass interrupted");
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

    // ---------------------------------------------------------------- state

    @Override
    public StoreStats stats() throws IOException {
        ensureOpen();
        long live = 0;
        for (SegmentStats s : ctx.index().segmentStats().values()) {
            live += s.liveBytes();
        }
        Map<String, Double> latency = new LinkedHashMap<>();
        putLatency(latency, "dump", ctx.metrics().dumpLatency);
        putLatency(latency, "load", ctx.metrics().loadLatency);
        putLatency(latency, "lookup", ctx.metrics().lookupLatency);
        return new StoreStats(ctx.index().keyCount(), ctx.catalog().size(), ctx.catalog().allocatedBytes(), live, directIo(),
                opened.counters().totals(ctx.metrics().counters()), latency, ctx.config().describe());
    }

    private static void putLatency(Map<String, Double> out, String name, Timer t) {
        double[] p = StoreMetrics.percentilesMillis(t);
        out.put(name + ".p50", p[0]);
        out.put(name + ".p99", p[1]);
    }

    /** What startup recovery did when this store was opened. */
    public RecoveryReport recoveryReport() {
        return opened.recovery();
    }

    @Override
    public MeterRegistry metrics() {
        return ctx.metrics().registry;
    }

    @Override
    public StoreConfig config() {
        return ctx.config();
    }

    /** Whether every backend does O_DIRECT IO (false where a file system refused it). */
    public boolean directIo() {
        return opened.backends().stream().allMatch(b -> b.io().directIo());
    }

    /** What the opener took, for {@link SharedAccess}. */
    StoreOpener.Opened opened() {
        return opened;
    }

    /** The shared internals, for white-box tests in this package. */
    StoreContext context() {
        return ctx;
    }

    /** The index, for tests in this package (crash images take a checkpoint of it). */
    BlockIndex indexForTests() {
        return ctx.index();
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
     * directory locks; the steps are {@link CloseSequence}'s. Idempotent.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closing.run();
        } finally {
            LOG.info("closed store {}{}", ctx.config().storageBackends(), ctx.metrics().stagesSummary());
        }
    }
}
