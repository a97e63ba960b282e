package io.spillway.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.FileTrees;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.RecordKeys;
import io.spillway.testkit.SegmentFiles;
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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StoreRecovery} over whole store directories after crashes: stores written by the
 * engine's protocol ({@link StoreImage}), damaged, then recovered as an open does (the index
 * through {@link IndexOpener}, then {@link StoreRecovery#run} with the GC's
 * {@link EvictionRecovery}). What survives is read back through the index and the segment
 * reader, every payload checked byte for byte.
 */
class StoreRecoveryTest {

    private static final int BLOCK = 16 << 10;
    private static final long SEGMENT = 8L << 20;

    @TempDir
    Path dir;

    /** Every key of {@code expected} is indexed and reads back byte-identical; no other key of {@code all} is indexed. */
    private static void assertExactly(Path data, BlockIndex index, List<RecordKey> all, Set<RecordKey> expected, int size)
            throws IOException {
        FileIO io = StoreImage.ioFor(data);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = AlignedBuffers.allocate(arena, AlignedBuffers.alignUp(size, StoreImage.ALIGN), StoreImage.ALIGN);
            for (int i = 0; i < all.size(); i++) {
                RecordKey k = all.get(i);
                Optional<BlockLocation> loc = index.get(k);
                assertEquals(expected.contains(k), loc.isPresent(), "index entry of key " + i);
                if (loc.isEmpty()) {
                    continue;
                }
                Path file = new SegmentPath(loc.get().segmentId(), SegmentPath.State.SEALED).in(data);
                try (SegmentReader r = SegmentReader.open(io, file, loc.get().segmentId())) {
                    r.readVerified(loc.get(), dst);
                }
                assertEquals(size, loc.get().storedLength(), "stored length of key " + i);
                assertTrue(Payloads.matches(dst.asSlice(0, size), k), "key " + i + " reads back wrong bytes");
            }
        }
    }

    /** One acknowledged group: its keys and where it ends in the open segment. */
    private record Group(List<RecordKey> keys, long end) {
    }

    /**
     * A crashed store with 12 acknowledged groups of 3 blocks in one open segment.
     *
     * @param image its data directory
     * @param openSegment the open segment's file in it
     */
    private record TwelveGroups(Path image, List<RecordKey> keys, List<Group> groups, Path openSegment) {
        /** Where the last group ends. */
        long end() {
            return groups.getLast().end();
        }

        /** The keys of the groups that end at or before {@code offset}: what must survive a damage there. */
        Set<RecordKey> survivorsOfDamageAt(long offset) {
            Set<RecordKey> out = new HashSet<>();
            for (Group g : groups) {
                if (g.end() <= offset) {
                    out.addAll(g.keys());
                }
            }
            return out;
        }
    }

    private static TwelveGroups crashedWithTwelveGroups(Path image, String namespace) throws IOException {
        List<RecordKey> keys = RecordKeys.keys(namespace, 36);
        List<Group> groups = new ArrayList<>();
        StoreImage store = StoreImage.create(image, SEGMENT);
        try {
            for (int i = 0; i < keys.size(); i += 3) {
                List<RecordKey> k = keys.subList(i, i + 3);
                groups.add(new Group(k, store.dump(k, BLOCK)));
            }
        } finally {
            store.crash();
        }
        List<Path> open = SegmentFiles.list(image, SegmentPath.State.OPEN);
        assertEquals(1, open.size(), "one open segment in the image");
        return new TwelveGroups(image, keys, groups, open.getFirst());
    }

    /** What a test does to the copy of the open segment. */
    @FunctionalInterface
    private interface Damage {
        void to(FileChannel segment) throws IOException;
    }

    /**
     * Copies {@code store} to {@code copy}, damages the copy's open segment from {@code offset} on,
     * recovers it and checks that exactly the groups before the damage survived; returns the
     * recovery's report.
     */
    private static StoreRecovery.Report recoverDamagedCopy(TwelveGroups store, Path copy, Damage damage, long offset)
            throws IOException {
        StoreImage.copyTree(store.image(), copy);
        try (FileChannel ch = FileChannel.open(copy.resolve(store.openSegment().getFileName()), StandardOpenOption.WRITE)) {
            damage.to(ch);
        }
        try (StoreImage.Recovered r = StoreImage.recover(copy)) {
            assertExactly(copy, r.index(), store.keys(), store.survivorsOfDamageAt(offset), BLOCK);
            return r.report();
        } finally {
            FileTrees.deleteRecursively(copy);
        }
    }

    @Test
    void truncationAtEveryGroupBoundaryAndInsideRecordsKeepsExactlyThePrefix() throws Exception {
        TwelveGroups store = crashedWithTwelveGroups(dir.resolve("image"), "trunc");
        List<Long> cuts = new ArrayList<>();
        cuts.add((long) StoreImage.ALIGN); // just the segment header
        store.groups().forEach(g -> cuts.add(g.end()));
        Random random = new Random(42);
        for (int i = 0; i < 12; i++) {
            cuts.add(StoreImage.ALIGN + (long) (random.nextDouble() * (store.end() - StoreImage.ALIGN)));
        }
        int n = 0;
        for (long cut : cuts) {
            StoreRecovery.Report r = recoverDamagedCopy(store, dir.resolve("cut-" + n++), ch -> ch.truncate(cut), cut);
            assertEquals(1, r.openRecovered(), r::toString);
        }
    }

    @Test
    void nonsenseFromARandomOffsetKeepsExactlyThePrefixAndNeverServesWrongBytes() throws Exception {
        TwelveGroups store = crashedWithTwelveGroups(dir.resolve("image"), "nonsense");
        Random random = new Random(7);
        for (int n = 0; n < 8; n++) {
            long from = StoreImage.ALIGN + (long) (random.nextDouble() * (store.end() - StoreImage.ALIGN));
            byte[] junk = new byte[Math.toIntExact(store.end() - from + random.nextInt(20_000))];
            random.nextBytes(junk);
            recoverDamagedCopy(store, dir.resolve("nonsense-" + n), ch -> ch.write(ByteBuffer.wrap(junk), from), from);
        }
    }

    @Test
    void lostIndexBringsBackEveryDurableBlockWithAShuffledListing() throws Exception {
        List<RecordKey> keys = RecordKeys.keys("lost", 300);
        Path data = dir.resolve("data");
        int size = 64 << 10;
        StoreImage store = StoreImage.create(data, SEGMENT);
        try {
            for (int i = 0; i < keys.size(); i += 4) {
                store.dump(keys.subList(i, i + 4), size);
            }
        } finally {
            store.crash();
        }
        assertTrue(SegmentFiles.list(data, SegmentPath.State.SEALED).size() >= 2);
        FileTrees.deleteRecursively(StoreImage.indexDir(data));
        FileIO shuffled = ShuffledListingIO.forDirectory(data, true, StoreImage.ALIGN, 3);
        try (StoreImage.Recovered r = StoreImage.recover(data, shuffled)) {
            assertEquals("there was no index", r.opened().replaced());
            assertEquals(1, r.report().openRecovered());
            assertTrue(r.report().sealedReconciled() >= 2, r.report()::toString);
            assertEquals(keys.size(), r.report().entriesAdded());
            assertExactly(data, r.index(), keys, new HashSet<>(keys), size);
            StoreRecovery.markClean(r.index()); // the close of the store that opened
        }
        // And the next recovery is on the fast path: the rebuilt index is exact.
        try (StoreImage.Recovered r = StoreImage.recover(data, shuffled)) {
            assertTrue(r.report().fastPath(), r.report()::toString);
            assertEquals(keys.size(), r.index().prefixHits(keys));
        }
    }

    @Test
    void unreadableIndexIsMovedAsideAndRebuilt() throws Exception {
        List<RecordKey> keys = RecordKeys.keys("broken", 40);
        Path data = dir.resolve("data");
        try (StoreImage store = StoreImage.create(data, SEGMENT)) {
            for (int i = 0; i < keys.size(); i += 4) {
                store.dump(keys.subList(i, i + 4), BLOCK);
            }
        }
        Files.writeString(StoreImage.indexDir(data).resolve("CURRENT"), "MANIFEST-999999\n"); // names a manifest that does not exist
        try (StoreImage.Recovered r = StoreImage.recover(data)) {
            assertNotNull(r.opened().movedTo(), "the broken index was replaced");
            assertEquals(keys.size(), r.report().entriesAdded());
            assertExactly(data, r.index(), keys, new HashSet<>(keys), BLOCK);
        }
        try (Stream<Path> s = Files.list(data)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("index.broken-")).count(), "the broken index is kept");
        }
    }

    @Test
    void staleIndexFromAnEarlierCheckpointIsReconciled() throws Exception {
        List<RecordKey> keys = RecordKeys.keys("stale", 300);
        int size = 64 << 10;
        Path data = dir.resolve("data");
        Path old = dir.resolve("old-index");
        StoreImage store = StoreImage.create(data, SEGMENT);
        try {
            for (int i = 0; i < keys.size(); i += 4) {
                if (i == 60) {
                    store.checkpointIndex(old);
                }
                store.dump(keys.subList(i, i + 4), size);
            }
        } finally {
            store.crash();
        }
        FileTrees.deleteRecursively(StoreImage.indexDir(data));
        StoreImage.copyTree(old, StoreImage.indexDir(data));
        try (StoreImage.Recovered r = StoreImage.recover(data)) {
            assertEquals(keys.size() - 60, r.report().entriesAdded(), r.report()::toString);
            assertExactly(data, r.index(), keys, new HashSet<>(keys), size);
        }
    }

    @Test
    void cleanCloseTakesTheFastPathAndOnlyOurTemporaryFilesAreRemoved() throws Exception {
        List<RecordKey> keys = RecordKeys.keys("clean", 12);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        try (StoreImage.Recovered first = StoreImage.recover(data)) {
            assertFalse(first.report().cleanShutdown(), "a new store was never closed");
        }
        try (StoreImage store = StoreImage.create(data, SEGMENT)) {
            for (int i = 0; i < keys.size(); i += 3) {
                store.dump(keys.subList(i, i + 3), BLOCK);
            }
        }
        List<String> ours = List.of(".spillway-probe-12345-abcdef", "seg-0000000000000001.compact.tmp");
        List<String> foreign = List.of("notes.txt", ".nfs0000000000a1b2c300000001", "seg-1.open", "seg-0000000000000001.tmp.bak");
        for (String name : ours) {
            Files.writeString(data.resolve(name), "ours");
        }
        for (String name : foreign) {
            Files.writeString(data.resolve(name), "not ours");
        }
        try (StoreImage.Recovered r = StoreImage.recover(data)) {
            assertTrue(r.report().cleanShutdown() && r.report().fastPath(), r.report()::toString);
            assertEquals(2, r.report().tempFilesRemoved());
            assertEquals(foreign.stream().map(f -> data.resolve(f).toString()).sorted().toList(),
                    r.report().foreignFiles().stream().sorted().toList());
            assertExactly(data, r.index(), keys, new HashSet<>(keys), BLOCK);
        }
        for (String name : ours) {
            assertFalse(Files.exists(data.resolve(name)), name);
        }
        for (String name : foreign) {
            assertEquals("not ours", Files.readString(data.resolve(name)), name);
        }
    }
}
