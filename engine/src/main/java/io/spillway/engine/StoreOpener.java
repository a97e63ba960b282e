package io.spillway.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.ConfigException;
import io.spillway.engine.config.Directories;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.config.StoreKeys;
import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import io.spillway.recovery.EvictionRecovery;
import io.spillway.recovery.IndexOpener;
import io.spillway.recovery.StoreRecovery;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The startup wiring of a segment store: everything {@link SegmentStore#open} does before any
 * thread starts.
 *
 * <p>Steps, in order:
 * <ol>
 *   <li>Create each {@code storage_backends} directory if missing and lock it ({@link StoreLock}:
 *       a second opener gets an error naming the holder's PID; a lock left by a dead process is
 *       taken over).
 *   <li>Choose each directory's IO ({@link IoFactory}: by default a probe for O_DIRECT, falling
 *       back to buffered IO where the file system refuses it).
 *   <li>Check the space, before anything is created beside the segments: refuse a {@code
 *       segment_size} that cannot fit the first directory's file system or the capacity, and
 *       resolve {@code capacity} against that file system.
 *   <li>Open the index, replacing one that cannot be opened ({@link IndexOpener}; the old one is
 *       moved aside where possible).
 *   <li>Check the alignment: a store keeps the alignment it was created with ({@link
 *       MetaKeys#ALIGNMENT}, recorded here at the first open); another one is refused.
 *   <li>Run startup recovery ({@link StoreRecovery}: a fast path after a clean close, otherwise
 *       open segments are scanned, truncated, reconciled and sealed, and a lost or stale index is
 *       reconciled from footers and the commit log). A replaced index is logged with what
 *       recovery rebuilt.
 *   <li>Register every segment on disk in the catalog, in id order, which admits each to the
 *       GC's eviction policy ({@code eviction_policy}). Foreign files are left alone; a segment id
 *       found in two directories is taken from the first. A segment's name on something that is not a
 *       regular file is skipped (recovery counted it as missing).
 *   <li>Start the segment id sequence past the persisted next id and every id on disk.
 *   <li>Create the publisher; under manual commit with a synced index it opens (and compacts)
 *       the commit log in the first directory.
 *   <li>Read the lifetime counters persisted by earlier sessions.
 * </ol>
 * If a step fails, what the earlier ones took (commit log, segment readers, index, locks) is
 * released before the failure is thrown.
 */
final class StoreOpener {

    private static final Logger LOG = LoggerFactory.getLogger(StoreOpener.class);

    /**
     * A store opened and recovered, its threads not started yet.
     *
     * @param backends the locked directories, in {@code storage_backends} order
     * @param ctx what the store's threads share
     * @param recovery what step 6 did
     * @param counters the lifetime counters read in step 10
     */
    record Opened(List<Backend> backends, StoreContext ctx, RecoveryReport recovery, LifetimeCounters counters) {

        /** Releases everything the opener took, for a failure after it returned; suppressed failures go to {@code e}. */
        void abandon(Exception e) {
            release(ctx.publisher(), ctx.catalog(), ctx.index(), backends, e);
        }
    }

    private StoreOpener() {
    }

    /** Runs steps 1 to 10 for {@code config}. */
    static Opened open(StoreConfig config, MeterRegistry registry, IoFactory ioFactory) throws IOException {
        int alignment = (int) config.alignment().bytes();
        DurabilityPolicy durability = DurabilityPolicy.of(config.durability());
        List<Backend> backends = new ArrayList<>();
        BlockIndex index = null;
        Publisher publisher = null;
        SegmentCatalog catalog = new SegmentCatalog(GcPolicies.eviction(config));
        try {
            for (Path dir : config.storageBackends()) {
                backends.add(lockAndProbe(dir, backends.size(), config.ioDirect(), alignment, ioFactory));
            }
            Backend first = backends.getFirst();
            long capacity = checkSpace(config, Files.getFileStore(first.dir()).getTotalSpace(), first.dir());
            Directories.create(StoreKeys.INDEX_PATH, config.indexPath());
            IndexOpener.Opened opened = IndexOpener.open(config.indexPath(), config.indexCacheSize().bytes());
            index = opened.index();
            checkAlignment(index, config, alignment);
            List<StoreRecovery.Directory> dirs = backends.stream().map(b -> new StoreRecovery.Directory(b.dir(), b.io())).toList();
            RecoveryReport recovery = RecoveryReport.of(
                    StoreRecovery.run(dirs, index, new EvictionRecovery(), StoreRecovery.Listener.NONE));
            String rebuilt = rebuiltIndexWarning(opened, recovery, config.indexPath());
            if (rebuilt != null) {
                LOG.warn(rebuilt);
            } else if (opened.replaced() != null) {
                LOG.info("new store: created its index at {}", config.indexPath());
            }
            registerSegments(backends, catalog);
            SegmentIds ids = new SegmentIds(index, catalog.maxId());
            publisher = new Publisher(index, config.autoCommit(), durability.syncsIndex(), first.io(), first.dir());
            StoreMetrics metrics = new StoreMetrics(registry);
            StoreContext ctx = new StoreContext(config, durability, index, catalog, ids, publisher, metrics, capacity,
                    new SpaceUsage(catalog, config.indexPath(), first.dir()));
            return new Opened(List.copyOf(backends), ctx, recovery, LifetimeCounters.load(index, metrics.counters().keySet()));
        } catch (IOException | RuntimeException e) {
            release(publisher, catalog, index, backends, e);
            throw e;
        }
    }

    /**
     * The warning for an index that had to be created afresh, or null when there was nothing to
     * rebuild it from: a brand-new store (no index yet, no segment on disk) is not a warning.
     */
    static String rebuiltIndexWarning(IndexOpener.Opened opened, RecoveryReport recovery, Path indexPath) {
        boolean nothingOnDisk = recovery.sealedReconciled() + recovery.sealedScanned() + recovery.openRecovered() == 0
                && recovery.entriesAdded() == 0;
        if (opened.replaced() == null || opened.movedTo() == null && nothingOnDisk) {
            return null;
        }
        return "index " + indexPath + " rebuilt because " + opened.replaced() + (opened.movedTo() == null ? ""
                : " (the old one is kept at " + opened.movedTo() + ")") + ": " + recovery.sealedReconciled()
                + " segments reconciled from footers, " + recovery.sealedScanned() + " scanned, " + recovery.openRecovered()
                + " open recovered, " + recovery.entriesAdded() + " entries, in " + recovery.millis() + " ms";
    }

    /** Steps 1 and 2 for one directory. */
    private static Backend lockAndProbe(Path dir, int ordinal, boolean wantDirect, int alignment, IoFactory ioFactory)
            throws IOException {
        Directories.create(StoreKeys.STORAGE_BACKENDS, dir);
        StoreLock lock = StoreLock.acquire(dir);
        try {
            FileIO io = ioFactory.forDirectory(dir, wantDirect, alignment);
            return new Backend(ordinal, dir, io, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Step 3: the resolved capacity, after refusing a {@code segment_size} that cannot fit: every
     * writer preallocates a whole segment, so {@code stream_number} of them, and one sealed
     * segment to evict when a writer needs its next, must fit the file system (else writers fail
     * dumps with no space while nothing can be evicted to make room), and a capacity must hold
     * one segment at least.
     */
    static long checkSpace(StoreConfig config, long fileSystemBytes, Path dir) {
        long capacity = config.capacity().resolve(fileSystemBytes);
        long segment = config.segmentSize().bytes();
        long writers = config.streamNumber();
        String segmentSize = StoreKeys.SEGMENT_SIZE.name();
        if (segment * (writers + 1) > fileSystemBytes) {
            throw new ConfigException(segmentSize, config.segmentSize().toString(), "each of the " + writers + " writers ("
                    + StoreKeys.STREAM_NUMBER.name() + ") preallocates a segment, and a sealed one must fit beside them to be"
                    + " evicted for the next: " + ByteSize.ofBytes(segment * (writers + 1)) + ", more than the whole file system"
                    + " holding " + dir + " (" + ByteSize.ofBytes(fileSystemBytes) + "); use a smaller " + segmentSize
                    + " or fewer writers");
        }
        if (capacity != Long.MAX_VALUE && segment > capacity) {
            throw new ConfigException(segmentSize, config.segmentSize().toString(), "larger than "
                    + StoreKeys.CAPACITY.name() + " (" + ByteSize.ofBytes(capacity) + "): not one segment would fit; use a "
                    + segmentSize + " of at most a fraction of it");
        }
        return capacity;
    }

    /** Step 5. */
    private static void checkAlignment(BlockIndex index, StoreConfig config, int alignment) throws IOException {
        long stored = index.getMeta(MetaKeys.ALIGNMENT).orElse(0L);
        if (stored != 0 && stored != alignment) {
            throw new IOException("store at " + config.storageBackends() + " was created with alignment " + stored
                    + "; config key 'alignment' = " + alignment + " cannot change it");
        }
        if (stored == 0) {
            index.putMeta(MetaKeys.ALIGNMENT, alignment);
        }
    }

    /**
     * Step 7: every backend's segments (all sealed once recovery ran), added in id order so that
     * the eviction order starts as the ids' order whatever the directory listings' order.
     */
    private static void registerSegments(List<Backend> backends, SegmentCatalog catalog) throws IOException {
        Map<Long, Registered> found = new TreeMap<>();
        for (Backend b : backends) {
            for (String name : b.io().list(b.dir())) {
                var p = SegmentPath.parse(name);
                // Not a regular file (a directory, a dangling link): no segment. Recovery dropped its
                // entries, so its blocks load as missing; fsck --repair moves it aside.
                if (p.isPresent() && b.io().isRegularFile(b.dir().resolve(name))) {
                    found.putIfAbsent(p.get().segmentId(), new Registered(b, p.get().state()));
                }
            }
        }
        found.forEach((id, r) -> catalog.add(id, r.backend(), r.state()));
    }

    private record Registered(Backend backend, SegmentPath.State state) {
    }

    /** Releases, in reverse order of taking, whatever is non-null; failures are added to {@code e} as suppressed. */
    private static void release(Publisher publisher, SegmentCatalog catalog, BlockIndex index, List<Backend> backends, Exception e) {
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
            try {
                b.lock().close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
    }
}
