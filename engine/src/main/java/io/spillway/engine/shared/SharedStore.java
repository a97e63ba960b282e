package io.spillway.engine.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.engine.IoFactory;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.SharedAccess;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.Task;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLockedException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer (or a read-only opener) of a store shared by many, over a shared file system
 * (design: "Sharing one store between hosts"; layout in {@link Layout}).
 *
 * <p>A writer is an ordinary {@link SegmentStore} whose backends are its own {@code
 * writers/<id>/} directories and whose index is on local disk ({@code index_path}), plus a
 * maintenance thread ({@link Maintenance}) that renews its lease, publishes its sealed segments
 * in its manifest, ingests other writers' ({@link Discovery}), adopts dead writers ({@link
 * Adoption}) and takes the GC lease ({@link GcOwnership}). The store's GC evicts only while this
 * writer owns the GC lease; the capacity it keeps is the whole shared store's, as far as this
 * writer knows it (every sealed segment discovered, plus its own).
 *
 * <p>A read-only opener is the same with no writer directory: its segment store's backend is a
 * private empty directory beside its index ({@code <index_path>.readonly}); it never dumps,
 * adopts or evicts.
 *
 * <p>Opening, in order: 1. check or write each backend's {@code FORMAT}; 2. refuse an {@code
 * index_path} inside a backend (it must be local, one per writer); 3. resolve the writer id
 * ({@link WriterIds}) and its number ({@link Layout#number}); 4. open the segment store on the
 * writer's directories, and raise its segment ids into the number's range; 5. renew the lease
 * and run one refresh, so the opener sees the store at once (a writer of a store with a capacity
 * first takes up its space tickets, {@link SpaceTickets}); 6. start the maintenance thread.
 */
public final class SharedStore implements BlockStore {

    private static final Logger LOG = LoggerFactory.getLogger(SharedStore.class);

    private final StoreConfig config;
    private final MeterRegistry registry;
    private final boolean readOnly;
    private final List<Path> roots;
    private final List<FileIO> rootIo;
    private volatile SegmentStore inner;
    private volatile String writerId;
    private volatile Maintenance maintenance;
    private volatile List<Path> ownDirs;
    private boolean closed; // guarded by this
    /** Calls hold the read side; {@link #rotate} the write side while it swaps the segment store. */
    private final ReentrantReadWriteLock rotation = new ReentrantReadWriteLock();

    private SharedStore(StoreConfig config, MeterRegistry registry, boolean readOnly, List<Path> roots, List<FileIO> rootIo) {
        this.config = config;
        this.registry = registry;
        this.readOnly = readOnly;
        this.roots = roots;
        this.rootIo = rootIo;
    }

    /** Whether {@code config}'s first backend holds a shared store (its {@code FORMAT} marker). */
    public static boolean isShared(StoreConfig config) {
        return Files.exists(config.storageBackends().getFirst().resolve(Layout.FORMAT_FILE));
    }

    /** Opens (creating if needed) this process's writer of the shared store {@code config} names. */
    public static SharedStore open(StoreConfig config, MeterRegistry registry) throws IOException {
        return open(config, registry, false);
    }

    /** Opens the shared store to read only: it loads what every writer sealed, and writes nothing there. */
    public static SharedStore openReadOnly(StoreConfig config, MeterRegistry registry) throws IOException {
        return open(config, registry, true);
    }

    private static SharedStore open(StoreConfig config, MeterRegistry registry, boolean readOnly) throws IOException {
        List<Path> roots = new ArrayList<>();
        List<FileIO> ios = new ArrayList<>();
        Path index = config.indexPath().toAbsolutePath().normalize();
        for (Path b : config.storageBackends()) {
            Files.createDirectories(b);
            Path root = b.toRealPath();
            if (index.startsWith(root) || index.startsWith(b.toAbsolutePath().normalize())) {
                throw new IOException("a shared store's index must be on local disk, one per writer: index_path " + index
                        + " is inside storage backend " + b + "; set index_path (SPILLWAY_INDEX_PATH) to a local directory");
            }
            if (!readOnly) {
                Layout.checkFormat(root);
            } else if (Files.exists(root.resolve(Layout.FORMAT_FILE))) {
                Layout.checkFormat(root);
            }
            roots.add(root);
            ios.add(IoFactory.PROBING.forDirectory(root, config.ioDirect(), (int) config.alignment().bytes()));
        }
        SharedStore s = new SharedStore(config, registry, readOnly, List.copyOf(roots), List.copyOf(ios));
        s.start();
        return s;
    }

    /** Steps 3 to 6 (also after this writer found itself adopted: a new id). */
    private void start() throws IOException {
        String id = readOnly ? "" : WriterIds.resolve(config, roots.getFirst());
        List<Path> dirs = new ArrayList<>();
        long floor = 0;
        if (readOnly) {
            Path index = config.indexPath().toAbsolutePath().normalize();
            dirs.add(index.resolveSibling(index.getFileName() + ".readonly"));
        } else {
            for (Path r : roots) {
                Files.createDirectories(Layout.writer(r, id));
                dirs.add(Layout.writer(r, id));
            }
            floor = Layout.number(roots.getFirst(), id) << Layout.ID_BITS;
        }
        StoreConfig innerConfig = config.toBuilder().storageBackends(dirs).build();
        SegmentStore store;
        try (OpeningLease renewing = readOnly ? null : new OpeningLease(Layout.writer(roots.getFirst(), id).resolve("lease"),
                config.refreshInterval().toMillis())) {
            store = SegmentStore.open(innerConfig, registry);
        } catch (StoreLockedException e) {
            // A peer may be adopting this id right now (it takes the lock, then writes ADOPTED).
            long until = System.nanoTime() + config.leaseTimeout().toNanos();
            while (!WriterIds.adopted(roots.getFirst(), id) && System.nanoTime() < until) {
                sleep(config.refreshInterval().toMillis());
            }
            if (!WriterIds.adopted(roots.getFirst(), id)) {
                throw e;
            }
            LOG.warn("writer {} was adopted while it was away (its adopter holds {}); starting under a new id", id, e.directory());
            start();
            return;
        }
        try {
            SpaceTickets tickets = null;
            if (!readOnly) {
                SharedAccess.idFloor(store, floor);
                long capacity = SharedAccess.capacityBytes(store);
                if (capacity != Long.MAX_VALUE) {
                    tickets = new SpaceTickets(roots, id, dirs, capacity, config.segmentSize().bytes());
                    SharedAccess.admission(store, tickets);
                }
            }
            Maintenance m = new Maintenance(this, store, id, roots, rootIo, config, readOnly, tickets);
            SharedAccess.gcGate(store, m::mayEvict);
            if (tickets != null) {
                SpaceTickets t = tickets;
                long every = config.refreshInterval().toNanos();
                SharedAccess.dataFloor(store, () -> m.mayEvict(-1) ? t.ticketBytes(() -> SharedAccess.segmentIds(store), every) : 0);
            }
            m.runOnce();
            this.inner = store;
            this.writerId = id;
            this.maintenance = m;
            this.ownDirs = List.copyOf(dirs);
            m.start();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        LOG.info("shared store {}: {} (number {}), refresh every {} ms, lease timeout {} ms", roots,
                readOnly ? "read-only" : "writer " + id, floor >>> Layout.ID_BITS, config.refreshInterval().toMillis(),
                config.leaseTimeout().toMillis());
    }

    private static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening");
        }
    }

    /**
     * Keeps a writer's lease moving while its segment store opens (recovery can take longer than
     * {@code lease_timeout}), so peers do not start adopting a writer that is merely starting.
     */
    private static final class OpeningLease implements AutoCloseable {
        private final Thread thread;
        private volatile boolean done;

        OpeningLease(Path file, long everyMillis) throws IOException {
            Lease lease = new Lease(file);
            lease.renew();
            thread = Thread.ofPlatform().daemon(true).name("spillway-lease-opening").start(() -> {
                while (!done) {
                    try {
                        Thread.sleep(everyMillis);
                        if (!done) {
                            lease.renew();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (IOException e) {
                        LOG.warn("renewing the lease of {} while opening failed: {}", file, e.toString());
                    }
                }
            });
        }

        @Override
        public void close() {
            done = true;
            thread.interrupt();
        }
    }

    /**
     * Called by the maintenance thread when it finds this writer adopted (its lease stalled while
     * it was alive, say a hung mount): stop writing there and carry on under a new id. Closing
     * the old segment store seals its segments while it still holds its directory lock, so an
     * adopter, which needs that lock, can never be recovering them at the same time.
     */
    synchronized void rotate() throws IOException {
        if (closed) {
            return; // closed while the maintenance thread waited for this monitor
        }
        SegmentStore old = inner;
        Maintenance m = maintenance;
        LOG.warn("writer {} was adopted by a peer; closing it and starting under a new id", writerId);
        rotation.writeLock().lock();
        try {
            m.stop();
            old.close();
            m.afterClose(ownDirs);
            start();
        } finally {
            rotation.writeLock().unlock();
        }
    }

    /** This process's writer id (empty for a read-only opener). */
    public String writerId() {
        return writerId;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Whether this writer owns the GC lease now. */
    public boolean gcOwner() {
        return maintenance.mayEvict(-1);
    }

    /** The last refresh's figures. */
    public Maintenance.Figures figures() {
        return maintenance.figures();
    }

    /** Runs one maintenance round now (tests, and callers that want to see a peer's seal at once). */
    public void refreshNow() throws IOException {
        maintenance.runOnce();
    }

    /** The writer's segment store (its GC pass, its recovery report). */
    public SegmentStore segmentStore() {
        return inner;
    }

    @Override
    public BitSet lookup(List<BlockKey> keys) throws IOException {
        return call(s -> s.lookup(keys));
    }

    @Override
    public int lookupPrefix(List<BlockKey> keys) throws IOException {
        return call(s -> s.lookupPrefix(keys));
    }

    @Override
    public Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources) {
        refuseIfReadOnly();
        return task(s -> s.dumpScattered(keys, sources));
    }

    @Override
    public Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations) {
        return task(s -> s.loadScattered(keys, destinations));
    }

    /** Commits this writer's own dumps; other writers commit theirs. */
    @Override
    public int commit(List<BlockKey> keys, boolean success) throws IOException {
        refuseIfReadOnly();
        return call(s -> s.commit(keys, success));
    }

    /**
     * Deletes from this writer's index only: other writers keep the copies they know until the
     * GC owner evicts their segments (a shared store has no cross-writer delete).
     */
    @Override
    public int delete(List<BlockKey> keys) throws IOException {
        return call(s -> s.delete(keys));
    }

    @Override
    public StoreStats stats() throws IOException {
        return call(SegmentStore::stats);
    }

    @Override
    public MeterRegistry metrics() {
        return registry;
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    /** A call on the segment store that may throw IOException. */
    @FunctionalInterface
    private interface StoreCall<T> {
        T on(SegmentStore store) throws IOException;
    }

    /**
     * Runs {@code c} on the current segment store; while a rotation ({@link #rotate}) swaps it, waits
     * at most {@code timeout_ms}, then fails rather than hang the caller.
     */
    private <T> T call(StoreCall<T> c) throws IOException {
        Lock l = enter();
        try {
            return c.on(inner);
        } finally {
            l.unlock();
        }
    }

    private Task task(Function<SegmentStore, Task> c) {
        Lock l = enter();
        try {
            return c.apply(inner);
        } finally {
            l.unlock();
        }
    }

    private Lock enter() {
        Lock l = rotation.readLock();
        try {
            if (l.tryLock(config.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                return l;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("writer " + writerId + " is restarting under a new id (it was adopted); try again");
    }

    private void refuseIfReadOnly() {
        if (readOnly) {
            throw new UnsupportedOperationException("this shared store was opened read-only; open it as a writer to dump");
        }
    }

    /**
     * Stops the maintenance thread, closes the segment store (sealing this writer's segments), and
     * records those last seals in the manifest. Idempotent.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        maintenance.stop();
        inner.close();
        maintenance.afterClose(ownDirs);
    }
}
