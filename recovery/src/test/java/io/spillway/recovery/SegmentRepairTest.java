package io.spillway.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.RecordKey;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repair of sealed segments without a footer, where more than one thing is damaged (the
 * salvage's and layout's harder paths), and crashes in the middle of a repair.
 */
class SegmentRepairTest {

    private static final int ALIGN = 4096;
    private static final long ID = 5;

    @TempDir
    Path root;

    private Path dir;
    private Path index;
    private final FileIO io = new ChannelFileIO(ALIGN);

    /** A written record: its key, location and bytes, and where its header is. */
    record Written(RecordKey key, BlockLocation loc, byte[] data, long groupAt, long headerAt) {
    }

    @BeforeEach
    void dirs() throws IOException {
        dir = Files.createDirectory(root.resolve("data"));
        index = dir.resolve("index");
        BlockIndex.open(index, new IndexOptions(8L << 20, true)).close();
    }

    private static RecordKey key(int i) {
        byte[] b = new byte[RecordKey.BYTES];
        new Random(31L * i + 7).nextBytes(b);
        return RecordKey.of(b);
    }

    /** A sealed segment of groups of the given sizes, every record auto-commit and live, 4 KiB to 20 KiB each. */
    private List<Written> write(int... groupSizes) throws IOException {
        List<Written> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
             SegmentWriter w = SegmentWriter.create(io, dir, ID, 16L << 20, ALIGN, AlignedBuffers.allocate(arena, 4 << 20, ALIGN))) {
            int i = 0;
            for (int n : groupSizes) {
                long groupAt = w.position();
                List<RecordSource> recs = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                for (int r = 0; r < n; r++, i++) {
                    byte[] d = new byte[4096 + (i * 3571) % 16384];
                    new Random(i).nextBytes(d);
                    recs.add(new RecordSource(key(i), List.of(MemorySegment.ofArray(d)), Codec.NONE, d.length, RecordFlags.AUTO_COMMIT,
                            1_700_000_000_000L + i));
                    data.add(d);
                }
                List<BlockLocation> locs = w.append(recs, () -> { });
                for (int r = 0; r < n; r++) {
                    out.add(new Written(recs.get(r).key(), locs.get(r), data.get(r), groupAt,
                            groupAt + GroupHeader.BYTES + (long) r * RecordHeader.BYTES));
                }
            }
            w.sync();
            boolean[] live = new boolean[w.recordCount()];
            Arrays.fill(live, true);
            w.seal(live);
        }
        return out;
    }

    private Path file() {
        return new SegmentPath(ID, SegmentPath.State.SEALED).in(dir);
    }

    private void overwrite(long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    private void flip(long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    private long length() throws IOException {
        return Files.size(file());
    }

    /** Whether every record in {@code expected} reads back with its bytes, and is indexed there. */
    private void assertServes(List<Written> expected) throws IOException {
        try (SegmentReader r = SegmentReader.open(io, file(), ID); Arena arena = Arena.ofConfined();
             BlockIndex idx = BlockIndex.open(index, new IndexOptions(8L << 20, false))) {
            List<BlockLocation> indexed = idx.getAll(expected.stream().map(Written::key).toList());
            for (int i = 0; i < expected.size(); i++) {
                Written w = expected.get(i);
                MemorySegment buf = arena.allocate(32 << 10, ALIGN);
                r.readVerified(w.loc(), buf);
                assertEquals(-1, MemorySegment.ofArray(w.data()).mismatch(buf.asSlice(0, w.data().length)), "bytes of " + w.key());
                assertEquals(w.loc().payloadOffset(), indexed.get(i).payloadOffset(), "index entry of " + w.key());
            }
        }
    }

    private Fsck.Result fsck(boolean repair) throws IOException {
        return Fsck.run(dir, index, true, repair);
    }

    private void assertRepairedAndClean() throws IOException {
        Fsck.Result repaired = fsck(true);
        assertTrue(repaired.problems().stream().allMatch(Fsck.Problem::repaired), repaired.problems().toString());
        Fsck.Result after = fsck(false);
        assertTrue(after.clean(), after.problems().toString());
    }

    @Test
    void withoutAFooterEveryRecordWhoseHeaderAndPayloadCheckOutIsKept() throws Exception {
        List<Written> w = write(5, 6, 4, 7, 3);
        overwrite(length() - SegmentFooter.TRAILER_BYTES, new byte[SegmentFooter.TRAILER_BYTES]); // no footer
        Written g1 = w.get(5);
        overwrite(g1.groupAt(), new byte[GroupHeader.BYTES]); // group 1's header: its records only by their own headers
        Written lost = w.get(13);
        flip(lost.headerAt() + 40); // one record header of group 2: a filler takes its place
        Written g3 = w.get(15);
        byte[] junk = new byte[4096];
        new Random(9).nextBytes(junk);
        overwrite(g3.groupAt(), junk); // group 3's whole header block: nothing of it is kept, a resync finds group 4
        List<Written> keep = new ArrayList<>(w);
        keep.remove(lost);
        keep.removeIf(x -> x.groupAt() == g3.groupAt());

        Fsck.Result found = fsck(false);
        assertTrue(found.problems().stream().anyMatch(p -> p.kind() == Fsck.Kind.BAD_FOOTER), found.problems().toString());
        assertRepairedAndClean();
        assertServes(keep);
        try (SegmentReader r = SegmentReader.open(io, file(), ID)) {
            List<SegmentFooter.Entry> entries = r.readFooter().entries();
            long fillers = entries.stream().filter(FillerRecord::is).count();
            assertTrue(fillers >= 2, "fillers over the lost record and the lost group: " + entries);
            assertTrue(entries.stream().filter(FillerRecord::is).allMatch(e -> (e.location().flags() & RecordFlags.NOT_LIVE) != 0));
            assertEquals(keep.size(), r.readFooter().liveEntries().size());
        }
    }

    @Test
    void aCutGroupKeepsItsWholeRecordsAndItsHeaderBlock() throws Exception {
        List<Written> w = write(3, 45); // 45 record headers take two 4 KiB blocks
        Written cut = w.get(3 + 20);
        try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
            f.setLength(cut.loc().payloadOffset() + 100);
        }
        assertRepairedAndClean();
        assertServes(w.subList(0, 3 + 20));
    }

    @Test
    void aHeaderZeroedWithTheFooterGoneIsProvenByTheFirstGroup() throws Exception {
        List<Written> w = write(4, 4);
        overwrite(0, new byte[64]);
        overwrite(length() - 10, new byte[10]);
        assertRepairedAndClean();
        assertServes(w);
    }

    @Test
    void aFileNothingProvesIsMovedAsideNotDeleted() throws Exception {
        write(2);
        byte[] junk = new byte[(int) length()];
        new Random(3).nextBytes(junk);
        Files.write(file(), junk);
        assertRepairedAndClean();
        Path aside = dir.resolve(file().getFileName() + PathQuarantine.SUFFIX);
        assertTrue(Arrays.equals(junk, Files.readAllBytes(aside)), "the bytes are kept under " + aside);
        assertFalse(Files.exists(file()));
    }

    /** A crash before step 5 of SegmentRewrite: a temporary copy is left, the segment is untouched. */
    @Test
    void aCrashBeforeTheRenameLeavesTheSegmentAsItWasAndASecondRepairFinishes() throws Exception {
        List<Written> w = write(3, 3);
        flip(length() - 20); // trailer
        byte[] damaged = Files.readAllBytes(file());
        SegmentPatch patch = new SegmentPatch();
        patch.length(length() / 2);
        assertThrows(CorruptRecordException.class, () -> SegmentRewrite.apply(io, file(), ID, patch, SealedSegmentCheck::verify));
        assertTrue(Arrays.equals(damaged, Files.readAllBytes(file())), "a repair that does not verify writes nothing");
        assertFalse(Files.exists(SegmentRewrite.tempFile(dir, ID)));
        // The state a crash during step 2 leaves: half a temporary copy.
        Files.write(SegmentRewrite.tempFile(dir, ID), Arrays.copyOf(damaged, damaged.length / 3));
        Fsck.Result found = fsck(false);
        assertTrue(found.problems().stream().anyMatch(p -> p.kind() == Fsck.Kind.TEMP_FILE), found.problems().toString());
        assertRepairedAndClean();
        assertServes(w);
    }

    /** A crash after step 5 of SegmentRewrite, before the index batch: a resealed segment and the old index. */
    @Test
    void aCrashAfterTheRenameBeforeTheIndexIsWrittenIsRepairedByASecondRun() throws Exception {
        List<Written> w = write(4, 4, 4);
        assertTrue(fsck(true).problems().stream().allMatch(p -> p.kind() == Fsck.Kind.UNINDEXED_RECORD));
        try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
            f.setLength(w.get(9).loc().payloadOffset() + 10);
        }
        Path saved = root.resolve("index-before");
        StoreImage.copyTree(index, saved);
        assertTrue(fsck(true).problems().stream().allMatch(Fsck.Problem::repaired));
        FileTrees.deleteRecursively(index);
        StoreImage.copyTree(saved, index); // the index batch never happened
        Fsck.Result found = fsck(false);
        assertEquals(List.of(Fsck.Kind.DANGLING_ENTRY), found.problems().stream().map(Fsck.Problem::kind).distinct().toList(),
                found.problems().toString());
        assertRepairedAndClean();
        assertServes(w.subList(0, 9));
    }
}
