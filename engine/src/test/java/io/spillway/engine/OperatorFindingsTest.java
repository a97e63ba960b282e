package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.ConfigException;
import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.index.MetaKeys;
import io.spillway.recovery.IndexOpener;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import io.spillway.testkit.io.FaultyFileIO;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regressions for what an operator found trying the store (issue 17, bugs 1, 3 to 10). */
class OperatorFindingsTest {

    private static final int BLOCK = 256 << 10;
    private static final long SEGMENT = 4L << 20;

    @TempDir
    Path dir;

    private StoreConfig.Builder config() {
        return StoreFixture.config(dir).segmentSize(ByteSize.ofBytes(SEGMENT)).streamNumber(1).writeGroupSize(ByteSize.ofMiB(1));
    }

    private Path data() {
        return dir.resolve("data");
    }

    private static void dumpAll(SegmentStore store, Arena arena, List<BlockKey> keys) throws InterruptedException {
        for (int i = 0; i < keys.size(); i += 4) {
            List<BlockKey> batch = keys.subList(i, Math.min(keys.size(), i + 4));
            TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
            assertTrue(r.allOk(), r.toString());
        }
    }

    /** The keys each sealed segment's footer lists, by file. */
    private static List<Set<BlockKey>> keysBySegment(List<Path> segments) throws Exception {
        List<Set<BlockKey>> out = new ArrayList<>();
        for (Path seg : segments) {
            long id = SegmentPath.parse(seg.getFileName().toString()).orElseThrow().segmentId();
            try (SegmentReader r = SegmentReader.open(new ChannelFileIO(4096), seg, id)) {
                Set<BlockKey> keys = new HashSet<>();
                for (SegmentFooter.Entry e : r.readFooter().entries()) {
                    keys.add(BlockKey.of(e.key()));
                }
                out.add(keys);
            }
        }
        return out;
    }

    /** Bug 1: a sealed segment whose header rotted is evicted like any other, not a GC failure every second. */
    @Test
    void aSegmentWhoseHeaderCannotBeReadIsEvictedAndDumpsGoOn() throws Exception {
        StoreConfig cfg = config().capacity(Capacity.of(ByteSize.ofBytes(6 * SEGMENT))).build();
        List<BlockKey> keys = StoreFixture.keys("rotten-header", 60);
        try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, keys);
        }
        Path first = SegmentFiles.list(data(), SegmentPath.State.SEALED).getFirst();
        try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
            f.seek(20);
            int b = f.read();
            f.seek(20);
            f.write(b ^ 4);
        }
        try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
            GcReport report = store.gc(0); // everything evictable goes, the unreadable segment first (oldest)
            assertTrue(report.evictedSegments() > 0, report.toString());
            assertFalse(Files.exists(first), "the unreadable segment was evicted");
            dumpAll(store, arena, StoreFixture.keys("after-rot", 60)); // through the capacity: emergency evictions work
        }
    }

    /** Bug 3: a segment's name on a directory or a dangling link does not stop the store; its blocks load as missing. */
    @Test
    void segmentNamesOnADirectoryOrADanglingLinkLoadAsMissing() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("not-a-file", 60);
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, keys);
        }
        List<Path> segs = SegmentFiles.list(data(), SegmentPath.State.SEALED);
        assertTrue(segs.size() >= 3, segs.toString());
        List<Set<BlockKey>> inSeg = keysBySegment(segs);
        Files.delete(segs.get(0));
        Files.createDirectory(segs.get(0));
        Files.delete(segs.get(1));
        Files.createSymbolicLink(segs.get(1), dir.resolve("nowhere"));
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            for (int i = 0; i < keys.size(); i++) {
                boolean gone = inSeg.get(0).contains(keys.get(i)) || inSeg.get(1).contains(keys.get(i));
                assertEquals(gone ? Outcome.MISSING : Outcome.OK, r.outcome(i), "key " + i + ": " + r.details().get(i));
            }
        }
    }

    /** Bug 4: stats counts the indexed blocks exactly, also after deletes and evictions. */
    @Test
    void statsCountsTheIndexedBlocksExactly() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("count", 80);
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, keys);
            store.delete(keys.subList(0, 5));
            store.gc(SEGMENT * 3);
            int indexed = store.lookup(keys).cardinality();
            assertTrue(indexed < keys.size() - 5, "some blocks were evicted");
            assertEquals(indexed, store.stats().blocks());
        }
        try (SegmentStore store = SegmentStore.open(config().build())) {
            assertEquals(store.lookup(keys).cardinality(), store.stats().blocks(), "after a reopen too");
        }
    }

    /** Bug 5: the GC's lifetime counters survive restarts and add up. */
    @Test
    void gcCountersAddUpOverSessions() throws Exception {
        long first;
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, StoreFixture.keys("gc-life-1", 60));
            first = store.gc(0).evictedSegments();
            assertTrue(first > 0);
        }
        long second;
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            assertEquals(first, store.stats().counters().get("gc.evicted.segments"), "read back after a restart");
            dumpAll(store, arena, StoreFixture.keys("gc-life-2", 60));
            second = store.gc(0).evictedSegments();
        }
        try (SegmentStore store = SegmentStore.open(config().build())) {
            assertEquals(first + second, store.stats().counters().get("gc.evicted.segments"));
        }
    }

    /** Bug 6: writers taking segment ids at once never leave a smaller next id persisted than one handed out. */
    @Test
    void concurrentSegmentIdsPersistTheLargest() throws Exception {
        try (BlockIndex index = BlockIndex.open(dir.resolve("ids"), new IndexOptions(8L << 20, true))) {
            SegmentIds ids = new SegmentIds(index, 0);
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            int threads = 4;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 100; i++) {
                            assertTrue(seen.add(ids.next()), "an id handed out twice");
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : ts) {
                t.join();
            }
            long max = seen.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertEquals(max + 1, index.getMeta(MetaKeys.NEXT_SEGMENT_ID).orElseThrow());
        }
    }

    /** Bug 7: a store directory that cannot be one is a config error naming the key, not an exception's class name. */
    @Test
    void aStoreDirectoryThatCannotBeOneIsAConfigError() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        ConfigException onFile = assertThrows(ConfigException.class, () -> SegmentStore.open(StoreConfig.builder()
                .storageBackend(file).build()));
        assertTrue(onFile.getMessage().contains("storage_backends") && onFile.getMessage().contains("it is a file, not a directory"),
                onFile.getMessage());
        ConfigException under = assertThrows(ConfigException.class, () -> SegmentStore.open(StoreConfig.builder()
                .storageBackend(file.resolve("store")).build()));
        assertTrue(under.getMessage().contains("is a file"), under.getMessage());
        ConfigException index = assertThrows(ConfigException.class, () -> SegmentStore.open(StoreConfig.builder()
                .storageBackend(dir.resolve("ok")).indexPath(file).build()));
        assertTrue(index.getMessage().contains("index_path"), index.getMessage());
        if (Files.isDirectory(Path.of("/proc/self"))) {
            ConfigException proc = assertThrows(ConfigException.class, () -> SegmentStore.open(StoreConfig.builder()
                    .storageBackend(Path.of("/proc/spillway-no-such/store")).build()));
            assertTrue(proc.getMessage().contains("cannot be created"), proc.getMessage());
        }
    }

    /** Bug 8: with no space for the GC's copies, eviction goes on without them instead of failing every pass. */
    @Test
    void withNoSpaceForCopiesTheGcEvictsWithoutReinserting() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        StoreConfig cfg = config().reinsertHits(1).reinsertBudgetPercent(100).build();
        try (SegmentStore store = SegmentStore.open(cfg, new SimpleMeterRegistry(), faulty::forDirectory); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("no-space-gc", 60);
            dumpAll(store, arena, keys);
            TaskResult read = StoreFixture.await(store.load(keys, Payloads.empty(arena, keys.size(), BLOCK)));
            assertTrue(read.allOk(), read.toString()); // every block is now hot: eviction would copy them forward
            faulty.diskFull(true);
            GcReport report = store.gc(0);
            assertTrue(report.evictedSegments() > 0, report.toString());
            assertEquals(0, report.reinsertedBlocks(), report.toString());
            faulty.diskFull(false);
        }
    }

    /** Bug 9: segments that cannot fit the file system are refused at open; the index counts against the capacity. */
    @Test
    void aSegmentSizeThatCannotFitIsRefusedAndTheIndexCountsAgainstCapacity() throws Exception {
        StoreConfig twoBig = config().segmentSize(ByteSize.ofMiB(256)).streamNumber(2).build();
        ConfigException e = assertThrows(ConfigException.class, () -> StoreOpener.checkSpace(twoBig, 300L << 20, data()));
        assertTrue(e.getMessage().contains("segment_size") && e.getMessage().contains("2 writers"), e.getMessage());
        StoreConfig twoHalf = config().segmentSize(ByteSize.ofMiB(128)).streamNumber(2).build();
        assertThrows(ConfigException.class, () -> StoreOpener.checkSpace(twoHalf, 300L << 20, data()), "no room for a sealed one");
        StoreConfig twoSmall = config().segmentSize(ByteSize.ofMiB(64)).streamNumber(2).build();
        assertEquals(Long.MAX_VALUE, StoreOpener.checkSpace(twoSmall, 300L << 20, data()));
        StoreConfig overCapacity = config().capacity(Capacity.of(ByteSize.ofBytes(SEGMENT / 2))).build();
        assertThrows(ConfigException.class, () -> StoreOpener.checkSpace(overCapacity, 1L << 40, data()));
        assertEquals(Long.MAX_VALUE, StoreOpener.checkSpace(config().build(), 1L << 40, data()));
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, StoreFixture.keys("metadata", 20));
            SpaceUsage space = store.context().space();
            assertTrue(space.metadataBytes() > 0, "the index takes space");
            assertTrue(space.usedBytes() >= store.context().catalog().dataBytes() + space.metadataBytes() - SEGMENT,
                    "used space counts segments and index");
        }
    }

    /**
     * Bug 11: under steady write pressure from several threads, with reinsertion copying hot
     * blocks forward, no dump is refused for space: the store always has sealed segments to evict,
     * so STORE_FULL (nothing evictable) must never come.
     */
    @Test
    void steadyWritePressureNeverFindsTheStoreFull() throws Exception {
        StoreConfig cfg = config().streamNumber(2).capacity(Capacity.of(ByteSize.ofBytes(8 * SEGMENT))).reinsertHits(1).build();
        try (SegmentStore store = SegmentStore.open(cfg)) {
            List<String> refused = dumpUnderPressure(store, 4, "pressure-"); // 4 x 30 MiB through a 32 MiB store
            assertTrue(refused.isEmpty(), refused.size() + " dumps not OK, the first: " + (refused.isEmpty() ? "" : refused.getFirst()));
        }
    }

    /**
     * Bug 8: writers that meet a full file system (ENOSPC, no capacity set) at the same time each
     * evict for themselves, so none is refused while sealed segments can be evicted. They used to
     * count the one segment the first of them freed, and all but that one failed their dumps.
     */
    @Test
    void writersMeetingAFullFileSystemTogetherEachMakeTheirOwnRoom() throws Exception {
        SimDisk disk = new SimDisk();
        disk.mkdirs(data());
        disk.capacity(12 * SEGMENT);
        StoreConfig cfg = config().streamNumber(4).reinsertHits(1).build();
        try (SegmentStore store = SegmentStore.open(cfg, new SimpleMeterRegistry(),
                (d, direct, alignment) -> new SimFileIO(disk, alignment, null))) {
            List<String> refused = dumpUnderPressure(store, 8, "full-fs-"); // 8 x 30 MiB through 48 MiB, 4 writers
            assertTrue(refused.isEmpty(), refused.size() + " dumps not OK, the first: " + (refused.isEmpty() ? "" : refused.getFirst()));
            assertTrue(disk.allocatedBytes() <= 12 * SEGMENT, "within the file system");
        }
    }

    /**
     * {@code threads} threads each dump 120 blocks (30 MiB) in batches of 4, reading the previous
     * batch back (hot blocks, which evictions copy forward); returns every dump result that was
     * not all OK.
     */
    private static List<String> dumpUnderPressure(SegmentStore store, int threads, String namespace) throws InterruptedException {
        List<String> refused = Collections.synchronizedList(new ArrayList<>());
        List<Thread> ts = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            for (int t = 0; t < threads; t++) {
                List<BlockKey> keys = StoreFixture.keys(namespace + t, 120);
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < keys.size(); i += 4) {
                            List<BlockKey> batch = keys.subList(i, i + 4);
                            TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
                            if (!r.allOk()) {
                                refused.add(r.toString());
                            }
                            List<BlockKey> previous = keys.subList(Math.max(0, i - 4), i);
                            if (!previous.isEmpty()) {
                                StoreFixture.await(store.load(previous, Payloads.empty(arena, previous.size(), BLOCK)));
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
        }
        return refused;
    }

    /** Bug 10: a brand-new store is not a warning; an index rebuilt over segments is. */
    @Test
    void aNewStoreIsNotAWarning() {
        IndexOpener.Opened fresh = new IndexOpener.Opened(null, "there was no index", null);
        RecoveryReport nothing = new RecoveryReport(false, false, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), 1);
        assertNull(StoreOpener.rebuiltIndexWarning(fresh, nothing, data().resolve("index")));
        RecoveryReport reconciled = new RecoveryReport(false, false, 0, 3, 0, 120, 0, 0, 0, 0, List.of(), 5);
        String warning = StoreOpener.rebuiltIndexWarning(fresh, reconciled, data().resolve("index"));
        assertNotNull(warning);
        assertTrue(warning.contains("rebuilt because there was no index") && warning.contains("3 segments"), warning);
        assertNull(StoreOpener.rebuiltIndexWarning(new IndexOpener.Opened(null, null, null), reconciled, data()));
    }
}
