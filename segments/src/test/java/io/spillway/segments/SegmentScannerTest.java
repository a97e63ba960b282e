package io.spillway.segments;

import static io.spillway.segments.SegmentFixtures.ALIGN;
import static io.spillway.segments.SegmentFixtures.key;
import static io.spillway.segments.SegmentFixtures.payload;
import static io.spillway.segments.SegmentFixtures.staging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.SegmentFixtures.Group;
import io.spillway.segments.SegmentScanner.Stop;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Torn and corrupt tails of open segments, after Kafka's
 * {@code LogSegmentTest.testRecoveryWithCorruptMessage}: whatever follows a point, the scan keeps
 * exactly the groups before it.
 */
class SegmentScannerTest {

    private static final long ID = 5;
    private static final long SEGMENT_SIZE = 8L << 20;

    @TempDir
    Path dir;

    /** Writes groups of 1 to 6 records of 1 byte to 40 KB (some exact multiples of 4 KiB), synced, not sealed. */
    private List<Group> writeOpenSegment(FileIO io, Path in, long id, long seed) throws IOException {
        Random rnd = new Random(seed);
        List<Group> groups = new ArrayList<>();
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, in, id, SEGMENT_SIZE, ALIGN, staging(arena))) {
            int k = 0;
            for (int g = 0; g < 12; g++) {
                int n = 1 + rnd.nextInt(6);
                List<RecordSource> records = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                for (int i = 0; i < n; i++, k++) {
                    int len = rnd.nextInt(4) == 0 ? ALIGN * (1 + rnd.nextInt(5)) : 1 + rnd.nextInt(40_000);
                    byte[] d = payload(seed * 1000 + k, len);
                    records.add(SegmentFixtures.source(key(k), d, 1 + rnd.nextInt(3), true, arena, RecordFlags.AUTO_COMMIT));
                    data.add(d);
                }
                groups.add(SegmentFixtures.append(w, records, data));
            }
            w.sync();
        }
        return groups;
    }

    /** An open segment written by {@link #writeOpenSegment(boolean, long)}: its IO, its groups and its file. */
    private record Written(FileIO io, List<Group> groups, Path file) {

        SegmentScanner.Result scan() throws IOException {
            return scanAll(io, file);
        }
    }

    /** A scan of segment {@link #ID} that verifies payloads, with no limit. */
    private static SegmentScanner.Result scanAll(FileIO io, Path file) throws IOException {
        return SegmentScanner.scan(io, file, ID, true, Long.MAX_VALUE);
    }

    /** {@link #writeOpenSegment(FileIO, Path, long, long)} in {@link #dir}, as segment {@link #ID}, with O_DIRECT or not. */
    private Written writeOpenSegment(boolean direct, long seed) throws IOException {
        FileIO io = SegmentFixtures.io(dir, direct);
        return new Written(io, writeOpenSegment(io, dir, ID, seed), openFile(dir, ID));
    }

    private static Path openFile(Path in, long id) {
        return new SegmentPath(id, SegmentPath.State.OPEN).in(in);
    }

    /**
     * How many leading groups lie before {@code cut}: whole, or (with {@code payloadEnd}) all but
     * their final padding.
     */
    private static int groupsBefore(List<Group> groups, long cut, boolean payloadEnd) {
        int kept = 0;
        while (kept < groups.size() && (payloadEnd ? groups.get(kept).payloadEnd() : groups.get(kept).end()) <= cut) {
            kept++;
        }
        return kept;
    }

    private static List<SegmentFooter.Entry> entriesBefore(List<Group> groups, long cut, boolean payloadEnd) {
        return SegmentFixtures.entriesOf(groups.subList(0, groupsBefore(groups, cut, payloadEnd)));
    }

    private static long endOf(List<Group> groups, int kept) {
        return kept == 0 ? SegmentLayout.firstGroupOffset(ALIGN) : groups.get(kept - 1).end();
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void intactOpenSegmentScansCompletely(boolean direct) throws IOException {
        Written w = writeOpenSegment(direct, 1);
        List<Group> groups = w.groups();
        SegmentScanner.Result r = w.scan();
        assertEquals(SegmentFixtures.entriesOf(groups), r.records());
        assertEquals(groups.getLast().end(), r.validEnd());
        assertTrue(r.stop() == Stop.END_OF_FILE || r.stop() == Stop.CLEAN_END, r.stop().toString());
        assertNull(r.problem());
        // A limit stops the scan at a group boundary.
        SegmentScanner.Result limited = SegmentScanner.scan(w.io(), w.file(), ID, false, groups.get(3).end());
        assertEquals(entriesBefore(groups, groups.get(3).end(), false), limited.records());
        assertEquals(Stop.END_OF_FILE, limited.stop());
    }

    /** (c) The part of an open segment past its last group reads as zeros: a clean end. */
    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void zeroTailIsACleanEnd(boolean direct) throws IOException {
        Written written = writeOpenSegment(direct, 2);
        FileIO io = written.io();
        // fallocate(KEEP_SIZE) reserves the tail without growing the file; a file system
        // without it, or a crash after the size reached disk but not the data, leaves zeros.
        SegmentFixtures.truncate(written.file(), SEGMENT_SIZE);
        SegmentScanner.Result r = written.scan();
        assertEquals(Stop.CLEAN_END, r.stop());
        assertEquals(SegmentFixtures.entriesOf(written.groups()), r.records());
        assertEquals(written.groups().getLast().end(), r.validEnd());
        assertNull(r.problem());
        // An empty open segment: the zeros start at the first group.
        Path empty = dir.resolve("empty");
        Files.createDirectory(empty);
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, empty, 6, SEGMENT_SIZE, ALIGN, staging(arena))) {
            w.sync();
        }
        Path emptyFile = openFile(empty, 6);
        SegmentScanner.Result e = SegmentScanner.scan(io, emptyFile, 6, true, Long.MAX_VALUE);
        assertTrue(e.records().isEmpty());
        assertEquals(ALIGN, e.validEnd());
        SegmentFixtures.truncate(emptyFile, SEGMENT_SIZE);
        e = SegmentScanner.scan(io, emptyFile, 6, true, Long.MAX_VALUE);
        assertEquals(Stop.CLEAN_END, e.stop());
        assertTrue(e.records().isEmpty());
    }

    /** (a) A cut at every group boundary and at many offsets inside groups. */
    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void truncatedTailKeepsExactlyTheCompleteGroups(boolean direct) throws IOException {
        Written w = writeOpenSegment(direct, 3);
        List<Group> groups = w.groups();
        Random rnd = new Random(33);
        TreeSet<Long> cuts = new TreeSet<>();
        cuts.add((long) ALIGN);
        for (Group g : groups) {
            long hb = GroupHeader.headerBlockLength(g.entries().size(), ALIGN);
            long s = g.start();
            for (long c : new long[] {s, s + 1, s + GroupHeader.BYTES - 1, s + GroupHeader.BYTES,
                    s + GroupHeader.BYTES + RecordHeader.BYTES - 1, s + hb - 1, s + hb, s + hb + 1, g.payloadEnd() - 1,
                    g.payloadEnd(), g.end() - 1, g.end()}) {
                cuts.add(c);
            }
            for (int i = 0; i < 4; i++) {
                cuts.add(s + 1 + (long) (rnd.nextDouble() * (g.end() - s - 1)));
            }
        }
        int checked = 0;
        // Cutting shorter and shorter leaves each prefix exactly as written, so one file serves all.
        for (long cut : cuts.descendingSet()) {
            SegmentFixtures.truncate(w.file(), cut);
            SegmentScanner.Result r = w.scan();
            long validEnd = endOf(groups, groupsBefore(groups, cut, false));
            assertEquals(entriesBefore(groups, cut, false), r.records(), "cut at " + cut);
            assertEquals(validEnd, r.validEnd(), "cut at " + cut);
            if (cut - validEnd < GroupHeader.BYTES) {
                assertEquals(Stop.END_OF_FILE, r.stop(), "cut at " + cut);
            } else {
                assertEquals(Stop.CORRUPT, r.stop(), "cut at " + cut);
                assertNotNull(r.problem());
                assertTrue(r.problem().offset() >= validEnd, r.problem().getMessage());
            }
            checked++;
        }
        assertTrue(checked > 100, "cuts checked: " + checked);
    }

    /** (b) Random nonsense from a random offset to past the end. */
    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void nonsenseFromARandomOffsetKeepsExactlyThePrefix(boolean direct) throws IOException {
        FileIO io = SegmentFixtures.io(dir, direct);
        Path orig = dir.resolve("orig");
        Files.createDirectory(orig);
        List<Group> groups = writeOpenSegment(io, orig, ID, 4);
        Path source = openFile(orig, ID);
        Path file = openFile(dir, ID);
        long end = groups.getLast().end();
        Random rnd = new Random(44);
        List<Long> offsets = new ArrayList<>();
        for (Group g : groups) {
            offsets.add(g.start());
            offsets.add(g.start() + GroupHeader.headerBlockLength(g.entries().size(), ALIGN));
            offsets.add(g.payloadEnd() - 1);
            offsets.add(g.payloadEnd());
        }
        for (int i = 0; i < 25; i++) {
            offsets.add(ALIGN + (long) (rnd.nextDouble() * (end - ALIGN)));
        }
        for (long at : offsets) {
            if (at >= end) {
                continue;
            }
            Files.copy(source, file, StandardCopyOption.REPLACE_EXISTING);
            int length = Math.toIntExact(end - at) + 1 + rnd.nextInt(3 * ALIGN);
            SegmentFixtures.scribble(file, at, length, at);
            SegmentScanner.Result r = scanAll(io, file);
            // A group survives when everything but its final padding is before the nonsense.
            assertEquals(entriesBefore(groups, at, true), r.records(), "nonsense from " + at);
            assertEquals(endOf(groups, groupsBefore(groups, at, true)), r.validEnd(), "nonsense from " + at);
            assertTrue(r.stop() == Stop.CORRUPT || r.stop() == Stop.CLEAN_END, r.stop() + " for nonsense from " + at);
            if (r.stop() == Stop.CORRUPT) {
                assertNotNull(r.problem());
                assertTrue(r.problem().offset() >= r.validEnd(), r.problem().getMessage());
            }
        }
    }

    /** Without payload verification a scan trusts payloads: that is what the flag means. */
    @Test
    void scanWithoutPayloadVerificationKeepsGroupsWithDamagedPayloads() throws IOException {
        Written w = writeOpenSegment(false, 5);
        Group g = w.groups().get(5);
        long at = g.entries().getFirst().location().payloadOffset();
        byte[] one = read(w.file(), at, 1);
        one[0] ^= (byte) 0xff;
        write(w.file(), at, one);
        SegmentScanner.Result quick = SegmentScanner.scan(w.io(), w.file(), ID, false, Long.MAX_VALUE);
        assertEquals(SegmentFixtures.entriesOf(w.groups()), quick.records());
        SegmentScanner.Result full = w.scan();
        assertEquals(entriesBefore(w.groups(), g.start(), false), full.records());
        assertEquals(Stop.CORRUPT, full.stop());
        assertEquals(g.entries().getFirst().location().payloadOffset(), full.problem().offset());
        assertEquals(g.start(), full.validEnd());
    }

    /** A valid group in the wrong place (replayed, or copied from another segment) is not data. */
    @Test
    void groupsAtTheWrongOffsetOrFromAnotherSegmentAreCorrupt() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        Path other = dir.resolve("other");
        Files.createDirectory(other);
        List<Group> groups = writeOpenSegment(io, dir, ID, 6);
        List<Group> twin = writeOpenSegment(io, other, ID + 1, 6); // same layout, other segment id
        assertEquals(groups.getLast().end(), twin.getLast().end());
        Path file = openFile(dir, ID);
        Path otherFile = openFile(other, ID + 1);

        // Replay group 0 after the last group.
        Group first = groups.getFirst();
        byte[] replay = read(file, first.start(), (int) (first.end() - first.start()));
        write(file, groups.getLast().end(), replay);
        SegmentScanner.Result r = scanAll(io, file);
        assertEquals(SegmentFixtures.entriesOf(groups), r.records());
        assertEquals(Stop.CORRUPT, r.stop());
        assertTrue(r.problem().getMessage().contains("claims offset"), r.problem().getMessage());

        // Replace group 7 by the other segment's group 7 (same offset, same length).
        Group g7 = groups.get(7);
        write(file, g7.start(), read(otherFile, g7.start(), (int) (g7.end() - g7.start())));
        r = scanAll(io, file);
        assertEquals(entriesBefore(groups, g7.start(), false), r.records());
        assertEquals(g7.start(), r.validEnd());
        assertTrue(r.problem().getMessage().contains("belongs to segment"), r.problem().getMessage());
    }

    /** Damage to the segment header is not a torn tail: the scan refuses the whole file. */
    @Test
    void badSegmentHeaderOrWrongIdThrows() throws IOException {
        Written w = writeOpenSegment(false, 7);
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> SegmentScanner.scan(w.io(), w.file(), ID + 1, true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("expected " + (ID + 1)), e.getMessage());
        SegmentFixtures.scribble(w.file(), 20, 4, 1);
        assertThrows(CorruptRecordException.class, w::scan);
        SegmentFixtures.truncate(w.file(), 10);
        assertThrows(CorruptRecordException.class, w::scan);
    }

    private static byte[] read(Path file, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // loop
            }
        }
        return b.array();
    }

    private static void write(Path file, long offset, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), offset);
        }
    }
}
