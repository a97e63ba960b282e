package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.recovery.StoreRecovery;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import io.spillway.testkit.io.FaultyFileIO;
import io.spillway.testkit.io.ShuffledListingIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole store open path after crashes: crash images (segment copies plus an index
 * checkpoint of a live store) are damaged, then opened with {@link SegmentStore#open}.
 */
class StoreRecoveryTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    private Arena arena;

    @BeforeEach
    void arena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void free() {
        arena.close();
    }

    private static StoreConfig.Builder config(Path root) {
        return StoreFixture.config(root).streamNumber(1);
    }

    private void dumpAll(SegmentStore store, List<BlockKey> keys, int perTask, int size) throws Exception {
        for (int i = 0; i < keys.size(); i += perTask) {
            List<BlockKey> k = keys.subList(i, Math.min(keys.size(), i + perTask));
            TaskResult r = StoreFixture.await(store.dump(k, Payloads.buffers(arena, k, size)));
            assertTrue(r.allOk() && r.durable(), r::toString);
        }
    }

    /** Loads every key: those in {@code expected} must load byte-identical, no other may load at all. */
    private void assertExactly(SegmentStore store, List<BlockKey> all, Set<? extends RecordKey> expected, int size) throws Exception {
        BitSet hits = store.lookup(all);
        List<MemorySegment> dst = Payloads.empty(arena, all.size(), size);
        TaskResult r = StoreFixture.await(store.load(all, dst));
        for (int i = 0; i < all.size(); i++) {
            BlockKey k = all.get(i);
            assertEquals(expected.contains(k), hits.get(i), "lookup of key " + i);
            if (r.outcome(i) == Outcome.OK) {
                assertTrue(Payloads.matches(dst.get(i), k), "key " + i + " loaded wrong bytes");
            }
            assertEquals(expected.contains(k) ? Outcome.OK : Outcome.MISSING, r.outcome(i), "load of key " + i);
        }
    }

    private static Path openSegment(Path data) throws IOException {
        List<Path> open = SegmentFiles.list(data, SegmentPath.State.OPEN);
        assertEquals(1, open.size(), "one open segment in the image");
        return open.getFirst();
    }

    private static long idOf(Path segment) {
        return SegmentPath.parse(segment.getFileName().toString()).orElseThrow().segmentId();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A live store with 12 acknowledged groups of 3 blocks in one open segment, captured as a crash image. */
    private List<BlockKey> imageOfTwelveGroups(Path image) throws Exception {
        List<BlockKey> keys = StoreFixture.keys("trunc", 36);
        try (SegmentStore store = SegmentStore.open(config(dir.resolve("live")).build())) {
            dumpAll(store, keys, 3, BLOCK);
            CrashImage.capture(store, image);
        }
        return keys;
    }

    private static Set<RecordKey> keysOfGroupsEndingBy(List<CrashImage.Group> groups, long cut) {
        Set<RecordKey> out = new HashSet<>();
        for (CrashImage.Group g : groups) {
            if (g.end() <= cut) {
                g.records().forEach(e -> out.add(e.key()));
            }
        }
        return out;
    }

    @Test
    void truncationAtEveryGroupBoundaryAndInsideRecordsKeepsExactlyThePrefix() throws Exception {
        Path image = dir.resolve("image");
        List<BlockKey> keys = imageOfTwelveGroups(image);
        Path seg = openSegment(image.resolve("data"));
        List<CrashImage.Group> groups = CrashImage.groups(seg, idOf(seg));
        assertTrue(groups.size() >= 12, "at least one group per task: " + groups.size());
        List<Long> cuts = new ArrayList<>();
        cuts.add(4096L); // just the segment header
        groups.forEach(g -> cuts.add(g.end()));
        Random random = new Random(42);
        long last = groups.getLast().end();
        for (int i = 0; i < 12; i++) {
            cuts.add(4096 + (long) (random.nextDouble() * (last - 4096)));
        }
        int n = 0;
        for (long cut : cuts) {
            Path root = dir.resolve("cut-" + n++);
            copyTree(image, root);
            try (FileChannel ch = FileChannel.open(root.resolve("data").resolve(seg.getFileName()), StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            try (SegmentStore store = SegmentStore.open(config(root).build())) {
                assertExactly(store, keys, keysOfGroupsEndingBy(groups, cut), BLOCK);
                assertEquals(1, store.recoveryReport().openRecovered());
            }
            deleteTree(root);
        }
    }

    @Test
    void nonsenseFromARandomOffsetKeepsExactlyThePrefixAndNeverServesWrongBytes() throws Exception {
        Path image = dir.resolve("image");
        List<BlockKey> keys = imageOfTwelveGroups(image);
        Path seg = openSegment(image.resolve("data"));
        List<CrashImage.Group> groups = CrashImage.groups(seg, idOf(seg));
        long last = groups.getLast().end();
        Random random = new Random(7);
        for (int n = 0; n < 8; n++) {
            long from = 4096 + (long) (random.nextDouble() * (last - 4096));
            Path root = dir.resolve("nonsense-" + n);
            copyTree(image, root);
            byte[] junk = new byte[Math.toIntExact(last - from + random.nextInt(20_000))];
            random.nextBytes(junk);
            try (FileChannel ch = FileChannel.open(root.resolve("data").resolve(seg.getFileName()), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(junk), from);
            }
            try (SegmentStore store = SegmentStore.open(config(root).build())) {
                assertExactly(store, keys, keysOfGroupsEndingBy(groups, from), BLOCK);
            }
            deleteTree(root);
        }
    }

    @Test
    void lostIndexBringsBackEveryDurableBlockWithAShuffledListing() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("lost", 300);
        Path image = dir.resolve("image");
        int size = 64 << 10;
        try (SegmentStore store = SegmentStore.open(config(dir.resolve("live")).build())) {
            dumpAll(store, keys, 4, size);
            CrashImage.capture(store, image);
        }
        assertTrue(SegmentFiles.list(image.resolve("data"), SegmentPath.State.SEALED).size() >= 2);
        deleteTree(image.resolve("data").resolve("index"));
        try (SegmentStore store = SegmentStore.open(config(image).build(), new SimpleMeterRegistry(), (d, direct, alignment) -> ShuffledListingIO.forDirectory(d, direct, alignment, 3))) {
            StoreRecovery.Report r = store.recoveryReport();
            assertEquals(1, r.openRecovered());
            assertTrue(r.sealedReconciled() >= 2, r::toString);
            assertEquals(keys.size(), r.entriesAdded());
            assertExactly(store, keys, new HashSet<>(keys), size);
        }
        // And the next open is a clean one.
        try (SegmentStore store = SegmentStore.open(config(image).build())) {
            assertTrue(store.recoveryReport().fastPath());
            assertEquals(keys.size(), store.lookupPrefix(keys));
        }
    }

    @Test
    void unreadableIndexIsMovedAsideAndRebuilt() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("broken", 40);
        Path root = dir.resolve("store");
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            dumpAll(store, keys, 4, BLOCK);
        }
        Path index = root.resolve("data").resolve("index");
        Files.writeString(index.resolve("CURRENT"), "MANIFEST-999999\n"); // names a manifest that does not exist
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            assertExactly(store, keys, new HashSet<>(keys), BLOCK);
        }
        try (Stream<Path> s = Files.list(root.resolve("data"))) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("index.broken-")).count(), "the broken index is kept");
        }
    }

    /** Commit status of sealed segments lives in their footers too: a rolled-back dump stays invisible after a rebuild. */
    @Test
    void rolledBackDumpsStayInvisibleWhenTheIndexIsLost() throws Exception {
        List<BlockKey> committed = StoreFixture.keys("committed", 20);
        List<BlockKey> rolledBack = StoreFixture.keys("rolled-back", 20);
        Path root = dir.resolve("store");
        StoreConfig manual = config(root).autoCommit(false).build();
        try (SegmentStore store = SegmentStore.open(manual)) {
            dumpAll(store, committed, 4, BLOCK);
            store.commit(committed, true);
            dumpAll(store, rolledBack, 4, BLOCK);
            store.commit(rolledBack, false);
        }
        deleteTree(root.resolve("data").resolve("index"));
        List<BlockKey> all = new ArrayList<>(committed);
        all.addAll(rolledBack);
        try (SegmentStore store = SegmentStore.open(manual)) {
            assertExactly(store, all, new HashSet<>(committed), BLOCK);
        }
    }

    /**
     * Manual commits taken after their segment sealed (its footer lists them not live), or in a
     * segment still open at a crash, come back from the commit log when the index is lost. With
     * the index intact, the log undoes nothing: a committed, then deleted block stays deleted.
     */
    @Test
    void manualCommitsComeBackFromTheCommitLogWhenTheIndexIsLost() throws Exception {
        List<BlockKey> committed = StoreFixture.keys("committed", 100); // fills more than one 1 MiB segment
        List<BlockKey> rolledBack = StoreFixture.keys("rolled-back", 8);
        List<BlockKey> deleted = StoreFixture.keys("deleted", 8);
        StoreConfig live = config(dir.resolve("live")).autoCommit(false).segmentSize(io.spillway.engine.config.ByteSize.ofMiB(1))
                .build();
        Path kept = dir.resolve("kept");
        Path lost = dir.resolve("lost");
        try (SegmentStore store = SegmentStore.open(live)) {
            dumpAll(store, committed, 4, BLOCK);
            dumpAll(store, rolledBack, 4, BLOCK);
            dumpAll(store, deleted, 4, BLOCK);
            assertTrue(SegmentFiles.list(live.storageBackends().getFirst(), SegmentPath.State.SEALED).size() >= 1,
                    "a segment sealed before the commit");
            assertEquals(committed.size(), store.commit(committed, true));
            store.commit(rolledBack, false);
            store.commit(deleted, true);
            store.delete(deleted);
            CrashImage.capture(store, kept);
            CrashImage.capture(store, lost);
        }
        List<BlockKey> all = new ArrayList<>(committed);
        all.addAll(rolledBack);
        all.addAll(deleted);
        try (SegmentStore store = SegmentStore.open(config(kept).autoCommit(false).build())) {
            assertExactly(store, all, new HashSet<>(committed), BLOCK);
        }
        deleteTree(lost.resolve("data").resolve("index"));
        try (SegmentStore store = SegmentStore.open(config(lost).autoCommit(false).build())) {
            assertTrue(store.recoveryReport().entriesAdded() >= committed.size(), store.recoveryReport()::toString);
            // Deleted keys may come back here (a delete lived only in the lost index); rolled-back ones never.
            List<BlockKey> checked = new ArrayList<>(committed);
            checked.addAll(rolledBack);
            assertExactly(store, checked, new HashSet<>(committed), BLOCK);
        }
    }

    @Test
    void staleIndexFromAnEarlierCheckpointIsReconciled() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("stale", 300);
        int size = 64 << 10;
        Path image = dir.resolve("image");
        Path old = dir.resolve("old-index");
        try (SegmentStore store = SegmentStore.open(config(dir.resolve("live")).build())) {
            dumpAll(store, keys.subList(0, 60), 4, size);
            store.indexForTests().checkpoint(old);
            dumpAll(store, keys.subList(60, keys.size()), 4, size);
            CrashImage.capture(store, image);
        }
        deleteTree(image.resolve("data").resolve("index"));
        copyTree(old, image.resolve("data").resolve("index"));
        try (SegmentStore store = SegmentStore.open(config(image).build())) {
            assertEquals(keys.size() - 60, store.recoveryReport().entriesAdded());
            assertExactly(store, keys, new HashSet<>(keys), size);
        }
    }

    /** With an intact index, a dump whose sync failed was recorded below the watermark before it was reported. */
    @Test
    void failedSyncStaysInvisibleAfterACrash() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        List<BlockKey> keys = StoreFixture.keys("failed", 2);
        Path image = dir.resolve("image");
        try (SegmentStore store = SegmentStore.open(config(dir.resolve("live")).build(), new SimpleMeterRegistry(), faulty::forDirectory)) {
            dumpAll(store, keys.subList(0, 1), 1, BLOCK);
            faulty.fail(FaultyFileIO.Op.SYNC, 1);
            TaskResult r = StoreFixture.await(store.dump(keys.subList(1, 2), Payloads.buffers(arena, keys.subList(1, 2), BLOCK)));
            assertEquals(Outcome.IO_ERROR, r.outcome(0));
            CrashImage.capture(store, image); // a kill -9 now: the failed record's bytes are on disk
            faulty.clear();
        }
        try (SegmentStore store = SegmentStore.open(config(image).build())) {
            assertExactly(store, keys, Set.of(keys.getFirst()), BLOCK);
        }
    }

    @Test
    void cleanCloseOpensOnTheFastPathAndOnlyOurTemporaryFilesAreRemoved() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("clean", 12);
        Path root = dir.resolve("store");
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            assertFalse(store.recoveryReport().cleanShutdown());
            dumpAll(store, keys, 3, BLOCK);
        }
        Path data = root.resolve("data");
        List<String> ours = List.of(".spillway-probe-12345-abcdef", "seg-0000000000000001.compact.tmp");
        List<String> foreign = List.of("notes.txt", ".nfs0000000000a1b2c300000001", "seg-1.open", "seg-0000000000000001.tmp.bak");
        for (String name : ours) {
            Files.writeString(data.resolve(name), "ours");
        }
        for (String name : foreign) {
            Files.writeString(data.resolve(name), "not ours");
        }
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            StoreRecovery.Report r = store.recoveryReport();
            assertTrue(r.cleanShutdown() && r.fastPath(), r::toString);
            assertEquals(2, r.tempFilesRemoved());
            assertExactly(store, keys, new HashSet<>(keys), BLOCK);
        }
        for (String name : ours) {
            assertFalse(Files.exists(data.resolve(name)), name);
        }
        for (String name : foreign) {
            assertEquals("not ours", Files.readString(data.resolve(name)), name);
        }
    }
}
