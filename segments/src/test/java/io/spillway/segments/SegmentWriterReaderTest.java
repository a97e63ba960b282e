package io.spillway.segments;

import static io.spillway.segments.SegmentFixtures.ALIGN;
import static io.spillway.segments.SegmentFixtures.allLive;
import static io.spillway.segments.SegmentFixtures.key;
import static io.spillway.segments.SegmentFixtures.payload;
import static io.spillway.segments.SegmentFixtures.readBuffer;
import static io.spillway.segments.SegmentFixtures.source;
import static io.spillway.segments.SegmentFixtures.staging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.SegmentFixtures.Group;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentWriterReaderTest {

    private static final long ID = 0x2a;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void writeSyncSealThenReadEveryRecordBack(boolean direct) throws IOException {
        FileIO io = SegmentFixtures.io(dir, direct);
        int[][] plan = {
            {4096, 4097, 65536, 100_000},
            {3 << 20},
            {(3 << 20) - 1, (1 << 20) + 123, 4096 * 3},
            {0, 12_345},
        };
        List<Group> groups = new ArrayList<>();
        List<byte[]> all = new ArrayList<>();
        SegmentFooter sealed;
        try (Arena arena = Arena.ofConfined()) {
            SegmentWriter w = SegmentWriter.create(io, dir, ID, 32L << 20, ALIGN, staging(arena));
            assertTrue(Files.exists(dir.resolve("seg-000000000000002a.open")));
            int k = 0;
            for (int g = 0; g < plan.length; g++) {
                List<RecordSource> records = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                for (int len : plan[g]) {
                    byte[] d = payload(k, len);
                    // Group 0: single heap pieces; 1: native pieces; 2 and 3: mixed heap and native.
                    int pieces = g == 0 ? 1 : 1 + k % 4;
                    records.add(source(key(k), d, pieces, g != 1, arena, k % 2 == 0 ? RecordFlags.AUTO_COMMIT : 0));
                    data.add(d);
                    k++;
                }
                groups.add(SegmentFixtures.append(w, records, data));
                all.addAll(data);
                if (g == 1) {
                    w.sync();
                    assertEquals(w.position(), w.syncedPosition());
                }
            }
            // 20 records of 64 KiB and a bit, from native memory, in one group.
            List<RecordSource> records = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (int i = 0; i < 20; i++, k++) {
                byte[] d = payload(k, 65536 + i * 513);
                records.add(source(key(k), d, 2, false, arena, RecordFlags.AUTO_COMMIT));
                data.add(d);
            }
            groups.add(SegmentFixtures.append(w, records, data));
            all.addAll(data);
            assertEquals(all.size(), w.recordCount());
            w.sync();
            sealed = w.seal(allLive(w));
            assertThrows(IllegalStateException.class, () -> w.append(List.of(SegmentFixtures.heapSource(key(999), new byte[1], 0)), () -> { }));
            w.close();
        }
        List<SegmentFooter.Entry> expected = SegmentFixtures.entriesOf(groups);
        Path open = dir.resolve("seg-000000000000002a.open");
        Path seg = dir.resolve("seg-000000000000002a.seg");
        assertFalse(Files.exists(open), "sealing renames the .open file");
        assertTrue(Files.exists(seg));
        assertEquals(expected, sealed.entries());
        long dataEnd = groups.getLast().end();
        assertEquals(dataEnd, sealed.dataEnd());
        assertEquals(dataEnd + SegmentLayout.footerLength(expected.size(), ALIGN), Files.size(seg), "preallocated tail truncated");

        for (Group g : groups) {
            long p = g.start() + GroupHeader.headerBlockLength(g.entries().size(), ALIGN);
            for (SegmentFooter.Entry e : g.entries()) {
                assertEquals(0, e.location().payloadOffset() % ALIGN, "payload offsets are aligned");
                assertEquals(p, e.location().payloadOffset(), "payloads are back to back after the header block");
                p += SegmentLayout.alignUp(e.location().storedLength(), ALIGN);
            }
            assertEquals(g.end(), p);
        }

        try (SegmentReader r = SegmentReader.open(io, seg, ID); Arena arena = Arena.ofConfined()) {
            assertEquals(ALIGN, r.alignment());
            SegmentFooter footer = r.readFooter();
            assertEquals(sealed, footer);
            assertEquals(expected, footer.entries());
            for (int i = 0; i < expected.size(); i++) {
                BlockLocation loc = footer.entries().get(i).location();
                byte[] want = all.get(i);
                assertEquals(want.length, loc.storedLength());
                assertEquals(want.length, loc.rawLength());
                assertEquals(Checksums.crc32c(want, 0, want.length), loc.payloadCrc());
                MemorySegment dst = readBuffer(arena, loc.storedLength());
                r.readVerified(loc, dst);
                assertEquals(-1, dst.asSlice(0, want.length).mismatch(MemorySegment.ofArray(want)), "record " + i);
            }
            // A location whose CRC disagrees with the bytes is refused, never served.
            BlockLocation good = footer.entries().get(2).location();
            BlockLocation lie = new BlockLocation(ID, good.payloadOffset(), good.storedLength(), good.rawLength(),
                    good.payloadCrc() ^ 1, good.codec(), good.flags(), good.writeTimeMillis());
            assertThrows(CorruptRecordException.class, () -> r.readVerified(lie, readBuffer(arena, lie.storedLength())));
        }
        // The sealed file also scans to the same records, stopping at the footer.
        SegmentScanner.Result scan = SegmentScanner.scan(io, seg, ID, true, dataEnd);
        assertEquals(expected, scan.records());
        assertEquals(dataEnd, scan.validEnd());
        assertThrows(CorruptRecordException.class, () -> SegmentReader.open(io, seg, ID + 1));
    }

    /**
     * The design's space budget: (file size - payload bytes) / payload bytes, measured on real
     * sealed files (segment header block, group header blocks, padding and footer included).
     */
    @Test
    void spaceOverheadMeetsTheDesignBudget() throws IOException {
        FileIO io = DirectIoProbe.forDirectory(dir, true, ALIGN);
        double small16 = measure(io, 1, 65536, 16, 16);
        double small64 = measure(io, 2, 65536, 64, 4);
        double small1 = measure(io, 3, 65536, 1, 32);
        double large16 = measure(io, 4, 2 << 20, 16, 1);
        double large4 = measure(io, 5, 2 << 20, 4, 4);
        double large1 = measure(io, 6, 2 << 20, 1, 4);
        System.out.printf("space overhead: 64 KiB x16/group %.4f%%, x64/group %.4f%%, x1/group %.4f%%; "
                        + "2 MiB x16/group %.4f%%, x4/group %.4f%%, x1/group %.4f%%%n",
                small16 * 100, small64 * 100, small1 * 100, large16 * 100, large4 * 100, large1 * 100);
        assertTrue(small16 <= 0.02, "64 KiB records in groups of 16: " + small16);
        assertTrue(small64 <= 0.02, "64 KiB records in groups of 64: " + small64);
        assertTrue(large16 <= 0.001, "2 MiB records in groups of 16: " + large16);
        assertTrue(large4 <= 0.001, "2 MiB records in groups of 4: " + large4);
    }

    private double measure(FileIO io, long id, int recordBytes, int perGroup, int groups) throws IOException {
        long payloadBytes = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(recordBytes, ALIGN);
            data.fill((byte) 0x5a);
            SegmentWriter w = SegmentWriter.create(io, dir, id, 256L << 20, ALIGN, staging(arena));
            int k = 0;
            for (int g = 0; g < groups; g++) {
                List<RecordSource> records = new ArrayList<>();
                for (int i = 0; i < perGroup; i++, k++) {
                    records.add(new RecordSource(key(k), List.of(data), Codec.NONE, recordBytes, RecordFlags.AUTO_COMMIT, 0));
                    payloadBytes += recordBytes;
                }
                w.append(records, () -> { });
            }
            w.sync();
            w.seal(allLive(w));
        }
        long size = Files.size(new SegmentPath(id, SegmentPath.State.SEALED).in(dir));
        return (double) (size - payloadBytes) / payloadBytes;
    }

    @Test
    void groupThatDoesNotFitIsRefusedAndTheWriterStaysUsable() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        long size = 16L * ALIGN; // header block + group header block + payload + footer block
        int max = (int) (size - 3L * ALIGN);
        assertTrue(SegmentWriter.fitsEmpty(new int[] {max}, size, ALIGN));
        assertFalse(SegmentWriter.fitsEmpty(new int[] {max + 1}, size, ALIGN));
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, 1, size, ALIGN, staging(arena))) {
            assertTrue(w.fits(new int[] {max}));
            assertFalse(w.fits(new int[] {max + 1}));
            assertTrue(w.fits(new int[] {ALIGN, max - ALIGN}));
            assertTrue(w.fits(new int[] {1, max - ALIGN}));
            assertFalse(w.fits(new int[] {1, max - 1}), "each record is padded to the alignment");
            assertFalse(w.fits(new int[] {ALIGN, max - ALIGN + 1}));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> w.append(List.of(SegmentFixtures.heapSource(key(0), new byte[max + 1], 0)), () -> { }));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
            assertFalse(w.failed(), "a refused group is the caller's mistake, not a failed segment");
            assertEquals(ALIGN, w.position());
            assertThrows(IllegalArgumentException.class, () -> w.append(List.of(), () -> { }));
            List<RecordSource> tooMany = new ArrayList<>();
            for (int i = 0; i <= GroupHeader.MAX_RECORDS; i++) {
                tooMany.add(SegmentFixtures.heapSource(key(i), new byte[1], 0));
            }
            assertThrows(IllegalArgumentException.class, () -> w.append(tooMany, () -> { }));
            assertFalse(w.failed());
            byte[] d = payload(1, max);
            w.append(List.of(SegmentFixtures.heapSource(key(0), d, 0)), () -> { });
            assertFalse(w.fits(new int[] {0}), "full");
            w.sync();
            w.seal(allLive(w));
        }
        assertEquals(size, Files.size(dir.resolve("seg-0000000000000001.seg")), "a full segment is exactly its size");
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> SegmentWriter.create(io, dir, 2, size + 1, ALIGN, staging(arena)));
            assertThrows(IllegalArgumentException.class, () -> SegmentWriter.create(io, dir, 3, 3L * ALIGN, ALIGN, staging(arena)));
            assertThrows(IllegalArgumentException.class,
                    () -> SegmentWriter.create(io, dir, 4, size, ALIGN, arena.allocate(ALIGN, ALIGN)));
        }
    }

    @Test
    void syncFailureFailsTheWriterAndIsNeverRetried() throws IOException {
        FailingSyncIO io = new FailingSyncIO(SegmentFixtures.io(dir, false));
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, 9, 1L << 20, ALIGN, staging(arena))) {
            w.append(List.of(SegmentFixtures.heapSource(key(1), payload(1, 5000), 0)), () -> { });
            w.sync();
            long synced = w.syncedPosition();
            assertEquals(w.position(), synced);
            w.append(List.of(SegmentFixtures.heapSource(key(2), payload(2, 5000), 0)), () -> { });
            io.failSync.set(true);
            int before = io.syncCalls.get();
            IOException e = assertThrows(IOException.class, w::sync);
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            assertEquals(before + 1, io.syncCalls.get());
            assertTrue(w.failed());
            assertEquals(synced, w.syncedPosition(), "the failed sync made nothing more durable");
            io.failSync.set(false); // even if the device "recovers", the writer must not sync again
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> w.append(List.of(SegmentFixtures.heapSource(key(3), new byte[10], 0)), () -> { }));
            assertTrue(refused.getMessage().contains("failed"), refused.getMessage());
            assertThrows(IllegalStateException.class, w::sync);
            assertThrows(IllegalStateException.class, () -> w.seal(allLive(w)));
            assertEquals(before + 1, io.syncCalls.get(), "fsync is never retried after a failure");
            assertEquals(2, w.recordCount());
        }
        assertTrue(Files.exists(dir.resolve("seg-0000000000000009.open")), "a failed segment is left to recovery");
    }

    @Test
    void writeFailureFailsTheWriter() throws IOException {
        FailingSyncIO io = new FailingSyncIO(SegmentFixtures.io(dir, false));
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, 10, 1L << 20, ALIGN, staging(arena))) {
            io.failWrite.set(true);
            AtomicBoolean copied = new AtomicBoolean();
            assertThrows(IOException.class,
                    () -> w.append(List.of(SegmentFixtures.heapSource(key(1), payload(1, 5000), 0)), () -> copied.set(true)));
            assertTrue(copied.get(), "onCopied runs before the write");
            assertTrue(w.failed());
            assertEquals(0, w.recordCount(), "a failed write lists nothing in the footer");
            io.failWrite.set(false);
            assertThrows(IllegalStateException.class,
                    () -> w.append(List.of(SegmentFixtures.heapSource(key(2), new byte[10], 0)), () -> { }));
        }
    }

    @Test
    void appendChecksumsTheCopyNotTheCallersLaterBytes() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        byte[] d = payload(5, 10_000);
        byte[] original = d.clone();
        BlockLocation loc;
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, 11, 1L << 20, ALIGN, staging(arena))) {
            // The caller reuses its buffer as soon as onCopied says so.
            loc = w.append(List.of(SegmentFixtures.heapSource(key(1), d, 0)), () -> Arrays.fill(d, (byte) 0)).getFirst();
            w.sync();
            w.seal(allLive(w));
        }
        assertEquals(Checksums.crc32c(original, 0, original.length), loc.payloadCrc());
        try (SegmentReader r = SegmentReader.open(io, dir.resolve("seg-000000000000000b.seg"), 11); Arena arena = Arena.ofConfined()) {
            MemorySegment dst = readBuffer(arena, loc.storedLength());
            r.readVerified(loc, dst);
            assertEquals(-1, dst.asSlice(0, original.length).mismatch(MemorySegment.ofArray(original)));
        }
    }

    @Test
    void failingIoHelperIsTransparentWhenNotFailing() throws IOException {
        FailingSyncIO io = new FailingSyncIO(SegmentFixtures.io(dir, false));
        assertFalse(io.directIo());
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, 12, 1L << 20, ALIGN, staging(arena))) {
            w.append(List.of(SegmentFixtures.heapSource(key(1), new byte[100], 0)), () -> { });
            w.sync();
            w.seal(allLive(w));
        }
        assertTrue(io.syncCalls.get() >= 3, "create, sync and seal each fdatasync");
    }
}
