package io.spillway.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.index.SegmentStats;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.testkit.RecordKeys;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpenSegmentRecoveryTest {

    private static final int ALIGN = 4096;
    private static final long ID = 3;
    private static final long SEGMENT_SIZE = 4L << 20;

    @TempDir
    Path root;

    private Path segments;

    @BeforeEach
    void dirs() throws IOException {
        assumeTrue(PosixFileIO.isSupported(), () -> "PosixFileIO unsupported: " + PosixFileIO.unsupportedReason());
        segments = Files.createDirectory(root.resolve("segments"));
    }

    private FileIO io(Path dir, boolean direct) {
        if (direct) {
            DirectIoProbe.Result r = DirectIoProbe.probe(dir, ALIGN);
            assumeTrue(r.directIo(), r::reason);
        }
        return new PosixFileIO(direct, ALIGN);
    }

    private BlockIndex openIndex() throws IOException {
        return BlockIndex.open(root.resolve("index"), new IndexOptions(8L << 20, true));
    }

    private static RecordKey key(int i) {
        return RecordKeys.key("open-segment", i);
    }

    private static byte[] payload(int i, int length) {
        byte[] b = new byte[length];
        new Random(i).nextBytes(b);
        return b;
    }

    /** A written record, as the test knows it. */
    record Written(int group, RecordKey key, BlockLocation loc, byte[] data) {
        boolean autoCommit() {
            return (loc.flags() & RecordFlags.AUTO_COMMIT) != 0;
        }
    }

    /** Group boundaries: {@code ends[g]} is where group g ends. */
    private long[] ends;

    /**
     * Writes {@code groups} groups of 3 records into an open segment, synced, never sealed.
     * Even records carry AUTO_COMMIT. {@code keyOf} maps the record number to its key number.
     */
    private List<Written> writeOpen(FileIO io, int groups, java.util.function.IntUnaryOperator keyOf) throws IOException {
        List<Written> out = new ArrayList<>();
        ends = new long[groups];
        try (Arena arena = Arena.ofConfined();
             SegmentWriter w = SegmentWriter.create(io, segments, ID, SEGMENT_SIZE, ALIGN,
                     AlignedBuffers.allocate(arena, 1 << 20, ALIGN))) {
            int i = 0;
            for (int g = 0; g < groups; g++) {
                List<RecordSource> records = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                for (int r = 0; r < 3; r++, i++) {
                    byte[] d = payload(i, 3000 + 7919 * i % 30_000);
                    int flags = i % 2 == 0 ? RecordFlags.AUTO_COMMIT : 0;
                    records.add(new RecordSource(key(keyOf.applyAsInt(i)), List.of(MemorySegment.ofArray(d)), Codec.NONE, d.length,
                            flags, 1_700_000_000_000L + i));
                    data.add(d);
                }
                List<BlockLocation> locs = w.append(records, () -> { });
                for (int r = 0; r < 3; r++) {
                    out.add(new Written(g, records.get(r).key(), locs.get(r), data.get(r)));
                }
                ends[g] = w.position();
            }
            w.sync();
        }
        return out;
    }

    private Path openFile(Path dir) {
        return new SegmentPath(ID, SegmentPath.State.OPEN).in(dir);
    }

    private Path sealedFile(Path dir) {
        return new SegmentPath(ID, SegmentPath.State.SEALED).in(dir);
    }

    private static void scribble(Path file, long offset, int length) throws IOException {
        byte[] junk = new byte[length];
        new Random(offset).nextBytes(junk);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(junk), offset);
        }
    }

    private static List<SegmentFooter.Entry> entries(List<Written> ws) {
        return ws.stream().map(w -> new SegmentFooter.Entry(w.key(), w.loc())).toList();
    }

    private SegmentFooter readFooterAndPayloads(FileIO io, Path file, List<Written> expected) throws IOException {
        try (SegmentReader r = SegmentReader.open(io, file, ID); Arena arena = Arena.ofConfined()) {
            SegmentFooter f = r.readFooter();
            for (Written w : expected) {
                MemorySegment dst = AlignedBuffers.allocate(arena, SegmentLayout.alignUp(w.loc().storedLength(), ALIGN), ALIGN);
                r.readVerified(w.loc(), dst);
                assertEquals(-1, dst.asSlice(0, w.data().length).mismatch(MemorySegment.ofArray(w.data())));
            }
            return f;
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void tornTailIsSealedAndOnlyIndexedRecordsStayLive(boolean direct) throws IOException {
        FileIO io = io(segments, direct);
        List<Written> all = writeOpen(io, 6, i -> i);
        // Tear: nonsense from the middle of group 4's second payload to past the end of the file.
        BlockLocation torn = all.get(13).loc();
        long tearAt = torn.payloadOffset() + torn.storedLength() / 2;
        long fileEnd = ends[5];
        scribble(openFile(segments), tearAt, Math.toIntExact(fileEnd - tearAt + 5000));
        long tornSize = Files.size(openFile(segments));
        List<Written> prefix = all.stream().filter(w -> w.group() < 4).toList();
        assertEquals(12, prefix.size());

        // Save the torn file for the idempotence checks.
        Path backup = Files.createDirectory(root.resolve("backup"));
        Files.copy(openFile(segments), openFile(backup));

        int preIndexed = 0;
        try (BlockIndex index = openIndex()) {
            // The index already has every third record of the synced prefix, auto-commit or not.
            try (BlockIndex.Batch b = index.batch()) {
                for (int i = 0; i < prefix.size(); i += 3) {
                    b.put(prefix.get(i).key(), prefix.get(i).loc());
                    preIndexed++;
                }
                b.watermark(ID, ends[5]); // every group's fate was decided before the crash
                index.write(b, true);
            }
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);

            boolean[] live = new boolean[prefix.size()];
            for (int i = 0; i < prefix.size(); i += 3) {
                live[i] = true;
            }
            assertEquals(ID, report.segmentId());
            assertEquals(12, report.validRecords());
            assertEquals(ends[3], report.validEnd());
            assertEquals(tornSize - ends[3], report.truncatedBytes());
            assertEquals(preIndexed, report.liveRecords());
            assertNotNull(report.problem());

            // The file: renamed, footer lists exactly the valid prefix (unindexed records flagged
            // NOT_LIVE, so an index rebuild skips them), payloads intact.
            assertFalse(Files.exists(openFile(segments)));
            assertTrue(Files.exists(sealedFile(segments)));
            assertEquals(ends[3] + SegmentLayout.footerLength(12, ALIGN), Files.size(sealedFile(segments)));
            SegmentFooter footer = readFooterAndPayloads(io, sealedFile(segments), prefix);
            assertEquals(SegmentFooter.markLiveness(entries(prefix), live), footer.entries());
            assertEquals(preIndexed, footer.liveEntries().size());
            assertEquals(ends[3], footer.dataEnd());

            // Below the watermark the index is never added to: an unindexed record there is a
            // failed, timed-out, aborted or deleted dump.
            for (int i = 0; i < all.size(); i++) {
                Written w = all.get(i);
                Optional<BlockLocation> got = index.get(w.key());
                boolean expected = w.group() < 4 && i % 3 == 0;
                assertEquals(expected ? Optional.of(w.loc()) : Optional.empty(), got, "record " + i + " " + w);
            }
            SegmentStats stats = index.segmentStats().get(ID);
            assertEquals(preIndexed, stats.liveRecords());
            assertEquals(preIndexed, stats.records());

            // Idempotent: the same torn file recovered again, in a fresh directory, against the
            // now-repaired index, gives the same bytes and changes nothing in the index.
            Path again = Files.createDirectory(root.resolve("again"));
            Files.copy(openFile(backup), openFile(again));
            OpenSegmentRecovery.Report second = OpenSegmentRecovery.recover(io, again, ID, index);
            assertEquals(preIndexed, second.liveRecords());
            assertEquals(report.validRecords(), second.validRecords());
            assertEquals(report.validEnd(), second.validEnd());
            assertEquals(-1L, Files.mismatch(sealedFile(segments), sealedFile(again)));

            // A crash after the footer was written but before the rename leaves the sealed bytes
            // under the .open name: recovering that gives the same file again.
            Files.move(sealedFile(again), openFile(again));
            OpenSegmentRecovery.Report third = OpenSegmentRecovery.recover(io, again, ID, index);
            assertEquals(preIndexed, third.liveRecords());
            assertEquals(12, third.validRecords());
            assertEquals(-1L, Files.mismatch(sealedFile(segments), sealedFile(again)));

            // A crash after the footer write but before the truncate: footer, then the torn tail.
            Path partial = Files.createDirectory(root.resolve("partial"));
            Files.copy(openFile(backup), openFile(partial));
            try (FileChannel ch = FileChannel.open(openFile(partial), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(footer.encode(ALIGN)), ends[3]);
            }
            OpenSegmentRecovery.Report fourth = OpenSegmentRecovery.recover(io, partial, ID, index);
            assertEquals(12, fourth.validRecords());
            assertEquals(-1L, Files.mismatch(sealedFile(segments), sealedFile(partial)));

            assertEquals(stats, index.segmentStats().get(ID), "repeated recoveries change no accounting");
        }
    }

    @Test
    void intactOpenSegmentKeepsEveryRecord() throws IOException {
        FileIO io = io(segments, false);
        List<Written> all = writeOpen(io, 3, i -> i);
        try (BlockIndex index = openIndex()) {
            decided(index, ends[2]);
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);
            assertEquals(9, report.validRecords());
            assertEquals(ends[2], report.validEnd());
            assertEquals(0, report.truncatedBytes());
            assertNull(report.problem());
            assertEquals(0, report.liveRecords(), "nothing indexed, so nothing is live");
            SegmentFooter footer = readFooterAndPayloads(io, sealedFile(segments), all);
            assertEquals(SegmentFooter.markLiveness(entries(all), new boolean[all.size()]), footer.entries());
            assertTrue(footer.liveEntries().isEmpty());
            assertTrue(index.getAll(all.stream().map(Written::key).toList()).stream().allMatch(java.util.Objects::isNull),
                    "recovery never adds below the watermark");
        }
    }

    /** A torn, never-synced write can garble bytes no CRC covers; recovery seals the segment with them zeroed. */
    @Test
    void garbageInPaddingOfTheValidPrefixIsClearedBeforeSealing() throws IOException {
        FileIO io = io(segments, false);
        List<Written> all = writeOpen(io, 3, i -> i);
        Written last = all.getLast();
        long tail = last.loc().payloadOffset() + last.loc().storedLength();
        assertTrue(tail % ALIGN != 0, "the last payload leaves a tail");
        scribble(openFile(segments), 2048, 16); // the segment header block's tail
        scribble(openFile(segments), tail, 8); // the last payload's tail
        try (BlockIndex index = openIndex()) {
            decided(index, ends[2]);
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);
            assertEquals(9, report.validRecords(), "padding is not part of any check, so every record is valid");
            assertEquals(ends[2], report.validEnd());
            SegmentFooter footer = readFooterAndPayloads(io, sealedFile(segments), all);
            try (SegmentReader reader = SegmentReader.open(io, sealedFile(segments), ID)) {
                SegmentPadding.Result pad = SegmentPadding.check(reader, footer);
                assertTrue(pad.clean(), () -> "padding left: " + pad);
            }
        }
    }

    @Test
    void emptyOpenSegmentIsSealedEmpty() throws IOException {
        FileIO io = io(segments, false);
        try (Arena arena = Arena.ofConfined();
             SegmentWriter w = SegmentWriter.create(io, segments, ID, SEGMENT_SIZE, ALIGN, AlignedBuffers.allocate(arena, 1 << 20, ALIGN))) {
            w.sync();
        }
        try (BlockIndex index = openIndex()) {
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);
            assertEquals(0, report.validRecords());
            assertEquals(ALIGN, report.validEnd());
            assertEquals(0, report.liveRecords());
            assertTrue(readFooterAndPayloads(io, sealedFile(segments), List.of()).entries().isEmpty());
            assertFalse(Files.exists(openFile(segments)));
        }
    }

    /**
     * A key written twice into one segment (dumped, deleted, dumped again): the index points at
     * the later record, so only that one is live in the footer; the earlier copy is dead bytes.
     */
    @Test
    void keyWrittenTwiceIsLiveOnlyAtTheLocationTheIndexHolds() throws IOException {
        FileIO io = io(segments, false);
        // Records 0 and 6 share key 0.
        List<Written> all = writeOpen(io, 3, i -> i == 6 ? 0 : i);
        Written first = all.get(0);
        Written latest = all.get(6);
        assertEquals(first.key(), latest.key());
        try (BlockIndex index = openIndex()) {
            try (BlockIndex.Batch b = index.batch()) {
                b.put(latest.key(), latest.loc());
                b.watermark(ID, ends[2]);
                index.write(b, true);
            }
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);
            assertEquals(1, report.liveRecords());
            assertEquals(Optional.of(latest.loc()), index.get(latest.key()));
            SegmentFooter footer = readFooterAndPayloads(io, sealedFile(segments), all);
            assertEquals(List.of(new SegmentFooter.Entry(latest.key(), latest.loc())), footer.liveEntries());
        }
    }

    private static void decided(BlockIndex index, long watermark) throws IOException {
        try (BlockIndex.Batch b = index.batch()) {
            b.watermark(ID, watermark);
            index.write(b, true);
        }
    }

    /**
     * Groups past the published watermark were in flight at the crash: their auto-commit records
     * come back (the latest per key), manual-commit ones stay invisible; below the watermark only
     * what the index points at is live.
     */
    @Test
    void recordsPastTheWatermarkAreReindexedOnlyUnderAutoCommit() throws IOException {
        FileIO io = io(segments, false);
        // Records 2 and 8 share key 2 (both auto-commit); 8 is past the watermark.
        List<Written> all = writeOpen(io, 3, i -> i == 8 ? 2 : i);
        try (BlockIndex index = openIndex()) {
            try (BlockIndex.Batch b = index.batch()) {
                b.put(all.get(0).key(), all.get(0).loc());
                b.watermark(ID, ends[0]);
                index.write(b, true);
            }
            OpenSegmentRecovery.Report report = OpenSegmentRecovery.recover(io, segments, ID, index);
            // Group 0 (records 0-2): only the indexed record 0. Groups 1-2 (records 3-8): the
            // auto-commit ones 4, 6, 8; record 8 is key 2, which the index does not hold.
            assertEquals(3, report.addedRecords());
            assertEquals(4, report.liveRecords());
            assertEquals(Optional.of(all.get(0).loc()), index.get(all.get(0).key()));
            assertEquals(Optional.empty(), index.get(all.get(1).key()), "below the watermark, unindexed stays invisible");
            assertEquals(Optional.of(all.get(8).loc()), index.get(all.get(2).key()), "the latest record of key 2 wins");
            assertEquals(Optional.empty(), index.get(all.get(3).key()), "manual-commit records never come back");
            assertEquals(Optional.of(all.get(4).loc()), index.get(all.get(4).key()));
            assertEquals(Optional.empty(), index.get(all.get(5).key()));
            assertEquals(Optional.of(all.get(6).loc()), index.get(all.get(6).key()));
            assertEquals(Optional.empty(), index.get(all.get(7).key()));
            assertTrue(index.knownSealed(ID));
            SegmentFooter footer = readFooterAndPayloads(io, sealedFile(segments), all);
            assertEquals(List.of(all.get(0), all.get(4), all.get(6), all.get(8)).stream()
                    .map(w -> new SegmentFooter.Entry(w.key(), w.loc())).toList(), footer.liveEntries());
            // A second recovery of the same bytes (a crash before the rename) changes nothing.
            Files.move(sealedFile(segments), openFile(segments));
            OpenSegmentRecovery.Report again = OpenSegmentRecovery.recover(io, segments, ID, index);
            assertEquals(0, again.addedRecords());
            assertEquals(4, again.liveRecords());
        }
    }
}
