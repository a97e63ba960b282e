package io.spillway.fuzz.corruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.recovery.Fsck;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corruption sweep (issue 5, part 5): one bit flipped at every byte offset of a small sealed
 * segment, footer included, one offset at a time.
 *
 * <p>For each flip two things must hold:
 * <ol>
 *   <li><b>No load returns wrong bytes.</b> Every record is read as a load reads it
 *       ({@link SegmentReader#readVerified} at the location the index holds, which is exactly
 *       what the engine's LoadPath calls): either the bytes are the original ones or the read
 *       reports {@link CorruptRecordException}. A footer that still checks out must list the
 *       written entries (a lying footer would mislead an index rebuild).
 *   <li><b>fsck reports the damage.</b> {@link Fsck#checkSegmentFile}, which is what
 *       {@code fsck --deep} reports about one sealed segment (header, footer, group and record
 *       headers against the footer, payload CRCs, zero padding), finds at least one problem.
 *       A flip in padding must be reported as {@link Fsck.Kind#NONZERO_PADDING} at its own
 *       offset, and no other flip may be: {@link #padding}, worked out here from the layout
 *       without {@code SegmentPadding}, checks fsck's idea of where padding is.
 * </ol>
 * The segment uses a 512-byte alignment so that the sweep stays small, with records of sizes
 * that leave padding after payloads, in the header blocks and before the footer.
 */
class BitFlipSweepTest {

    private static final int ALIGN = 512;
    private static final long ID = 7;

    @Test
    void everyByteOfASealedSegment() throws Exception {
        Path dir = Path.of("/sim/bitflip"); // a directory of the simulated disk only: nothing touches the real file system
        SimDisk disk = new SimDisk();
        disk.mkdirs(dir);
        SimFileIO io = new SimFileIO(disk, ALIGN, null);
        List<SegmentFooter.Entry> original = write(io, dir);
        Path file = new SegmentPath(ID, SegmentPath.State.SEALED).in(dir);
        byte[] clean = disk.contents(file);
        List<byte[]> payloads = new ArrayList<>();
        try (Arena arena = Arena.ofConfined(); SegmentReader r = SegmentReader.open(io, file, ID)) {
            for (SegmentFooter.Entry e : original) {
                MemorySegment buf = arena.allocate(4 * 4096L, ALIGN);
                r.readVerified(e.location(), buf);
                payloads.add(buf.asSlice(0, e.location().storedLength()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        assertFalse(servesWrongBytes(io, file, original, payloads), "the clean segment serves its own bytes");
        assertEquals(List.of(), Fsck.checkSegmentFile(io, file, ID), "fsck finds nothing wrong with the clean segment");

        java.util.BitSet padding = padding(original, clean.length);
        long t0 = System.nanoTime();
        int flips = 0;
        int reported = 0;
        int inPadding = 0;
        List<String> unreported = new ArrayList<>();
        List<String> misplaced = new ArrayList<>();
        for (int offset = 0; offset < clean.length; offset++) {
            int bit = offset % 8; // every bit position gets its share across the sweep
            disk.flipBit(file, offset, bit);
            boolean wrong = servesWrongBytes(io, file, original, payloads);
            List<Fsck.Problem> problems = Fsck.checkSegmentFile(io, file, ID);
            disk.flipBit(file, offset, bit);
            flips++;
            if (wrong) {
                throw new AssertionError("flipping bit " + bit + " of byte " + offset + " made a load (or the footer) return wrong bytes;"
                        + " replay: mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=BitFlipSweepTest");
            }
            String here = file.getFileName() + " offset " + offset;
            boolean asPadding = problems.stream().anyMatch(p -> p.kind() == Fsck.Kind.NONZERO_PADDING && p.where().equals(here));
            if (problems.isEmpty()) {
                addToRanges(unreported, offset);
            } else {
                reported++;
                inPadding += asPadding ? 1 : 0;
                if (asPadding != padding.get(offset) && misplaced.size() < 10) {
                    misplaced.add(offset + (padding.get(offset) ? " (padding)" : "") + ": " + problems);
                }
            }
        }
        System.out.printf("[fuzz] bit flips: %d (every byte of a %d-byte sealed segment), 0 wrong bytes served, %d of %d reported"
                + " by fsck --deep (%d in padding), %.1f s%n", flips, clean.length, reported, flips, inPadding,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(unreported.isEmpty(), "flips that fsck --deep does not report, at offsets: " + unreported);
        assertTrue(misplaced.isEmpty(), "flips reported as padding where the layout has none, or padding flips reported"
                + " otherwise (the first 10): " + misplaced);
        assertEquals(padding.cardinality(), inPadding);
    }

    /**
     * The store-wide fsck reads segment files through the {@link io.spillway.segments.io.FileIO}
     * it is given: here the simulated disk, whose store directory exists on the real file system
     * only as an empty directory holding the lock and a real (empty) index.
     */
    @Test
    void fsckOfAStoreRunsOnTheSimulatedDisk(@TempDir Path dir) throws Exception {
        SimDisk disk = new SimDisk();
        disk.mkdirs(dir);
        SimFileIO io = new SimFileIO(disk, ALIGN, null);
        write(io, dir);
        Path index = dir.resolve("index");
        BlockIndex.open(index, new IndexOptions(8L << 20, true)).close();
        Fsck.Result r = Fsck.run(dir, index, true, false, io);
        assertEquals(List.of(1L, 5L, 5L), List.of((long) r.segments(), r.records(), r.payloadsVerified()), r.toString());
        assertEquals(List.of(Fsck.Kind.UNINDEXED_RECORD), kinds(r), "the empty index predates the segment");
        disk.flipBit(new SegmentPath(ID, SegmentPath.State.SEALED).in(dir), ALIGN - 1, 0);
        assertEquals(List.of(Fsck.Kind.NONZERO_PADDING, Fsck.Kind.UNINDEXED_RECORD), kinds(Fsck.run(dir, index, true, false, io)));
    }

    private static List<Fsck.Kind> kinds(Fsck.Result r) {
        return r.problems().stream().map(Fsck.Problem::kind).toList();
    }

    /** Adds {@code offset} to a list of "from-to" ranges, extending the last one when it ends just before. */
    private static void addToRanges(List<String> ranges, int offset) {
        if (!ranges.isEmpty() && ranges.getLast().endsWith("-" + (offset - 1))) {
            String last = ranges.removeLast();
            ranges.add(last.substring(0, last.lastIndexOf('-') + 1) + offset);
        } else {
            ranges.add(offset + "-" + offset);
        }
    }

    /**
     * The bytes no field covers, worked out from the layout as the writer lays it out: the rest of
     * the segment header block, of each group's header block, each payload's tail up to the
     * alignment, and the footer's gap before its trailer. The format requires them to be zeros;
     * no reader looks at them, so fsck's padding check is the only thing that can report a flip
     * there.
     */
    private static java.util.BitSet padding(List<SegmentFooter.Entry> entries, int length) {
        java.util.BitSet used = new java.util.BitSet(length);
        used.set(0, io.spillway.segments.SegmentHeader.BYTES);
        int[] groupSizes = {3, 2};
        int e = 0;
        for (int n : groupSizes) {
            long firstPayload = entries.get(e).location().payloadOffset();
            long groupOffset = firstPayload - io.spillway.segments.GroupHeader.headerBlockLength(n, ALIGN);
            used.set((int) groupOffset, (int) (groupOffset + io.spillway.segments.GroupHeader.BYTES
                    + (long) n * io.spillway.segments.RecordHeader.BYTES));
            for (int i = 0; i < n; i++, e++) {
                BlockLocation loc = entries.get(e).location();
                used.set((int) loc.payloadOffset(), (int) (loc.payloadOffset() + loc.storedLength()));
            }
        }
        BlockLocation last = entries.getLast().location();
        long dataEnd = io.spillway.segments.SegmentLayout.alignUp(last.payloadOffset() + last.storedLength(), ALIGN);
        used.set((int) dataEnd, (int) (dataEnd + SegmentFooter.HEADER_BYTES + (long) entries.size() * SegmentFooter.ENTRY_BYTES));
        used.set(length - SegmentFooter.TRAILER_BYTES, length);
        java.util.BitSet pad = new java.util.BitSet(length);
        pad.set(0, length);
        pad.andNot(used);
        return pad;
    }

    /** Whether a load of some record, or the footer, serves wrong bytes; see the class comment. */
    private static boolean servesWrongBytes(SimFileIO io, Path file, List<SegmentFooter.Entry> original, List<byte[]> payloads)
            throws IOException {
        SegmentReader r;
        try {
            r = SegmentReader.open(io, file, ID);
        } catch (CorruptRecordException e) {
            return false; // loads then report the segment corrupt; nothing is served
        }
        try (r; Arena arena = Arena.ofConfined()) {
            // Loads, at the locations the index holds.
            for (int i = 0; i < original.size(); i++) {
                BlockLocation loc = original.get(i).location();
                MemorySegment buf = arena.allocate(4 * 4096L, ALIGN);
                try {
                    r.readVerified(loc, buf);
                    byte[] got = buf.asSlice(0, loc.storedLength()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                    if (!java.util.Arrays.equals(got, payloads.get(i))) {
                        return true;
                    }
                } catch (CorruptRecordException e) {
                    // reported, not served
                }
            }
            // The footer, which a rebuild trusts once its CRCs pass.
            try {
                return !r.readFooter().entries().equals(original);
            } catch (CorruptRecordException e) {
                return false;
            }
        }
    }

    /** Five records in two groups, sizes chosen to leave padding; sealed with one record not live. */
    private static List<SegmentFooter.Entry> write(SimFileIO io, Path dir) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(1 << 20, ALIGN);
            SegmentWriter w = SegmentWriter.create(io, dir, ID, 64 * 1024, ALIGN, staging);
            Random rnd = new Random(42);
            int[][] groups = {{4096, 1000, 700}, {2048, 333}};
            int k = 0;
            for (int[] sizes : groups) {
                List<RecordSource> recs = new ArrayList<>();
                for (int size : sizes) {
                    byte[] data = new byte[size];
                    rnd.nextBytes(data);
                    BlockKey key = BlockKey.chain(BlockKey.ROOT, new int[] {k++}, "bitflip");
                    recs.add(new RecordSource(key, List.of(MemorySegment.ofArray(data)), Codec.NONE, size, RecordFlags.AUTO_COMMIT,
                            1_700_000_000_000L + k));
                }
                w.append(recs, () -> { });
            }
            w.sync();
            boolean[] live = new boolean[w.recordCount()];
            java.util.Arrays.fill(live, true);
            live[1] = false;
            return w.seal(live).entries();
        }
    }
}
