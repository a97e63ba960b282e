package io.spillway.fuzz.corruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.fuzz.sim.SimDisk;
import io.spillway.fuzz.sim.SimFileIO;
import io.spillway.segments.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The corruption sweep (issue 5, part 5): one bit flipped at every byte offset of a small sealed
 * segment, footer included, one offset at a time.
 *
 * <p>For each flip two things must hold:
 * <ol>
 *   <li><b>No load returns wrong bytes.</b> Every record is read as a load reads it
 *       ({@link SegmentReader#readVerified} at the location the index holds, which is exactly
 *       what the engine's LoadPath calls): either the bytes are the original ones or the read
 *       reports {@link CorruptRecordException}.
 *   <li><b>The damage is reported.</b> At least one of the segment's own checks notices it: the
 *       segment header, the footer (trailer and entries), a load of some record, or a full scan
 *       with payload CRCs. (fsck, issue 3, will run all of these; until it lands this test runs
 *       them itself, through the same public readers fsck will use.)
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
        assertEquals(SweepResult.CLEAN, check(io, file, original, payloads), "the clean segment passes every check");

        java.util.BitSet padding = padding(original, clean.length);
        long t0 = System.nanoTime();
        int flips = 0;
        int detected = 0;
        int paddingMissed = 0;
        List<String> undetected = new ArrayList<>();
        for (int offset = 0; offset < clean.length; offset++) {
            int bit = offset % 8; // every bit position gets its share across the sweep
            disk.flipBit(file, offset, bit);
            SweepResult res = check(io, file, original, payloads);
            disk.flipBit(file, offset, bit);
            flips++;
            if (res == SweepResult.WRONG_BYTES) {
                throw new AssertionError("flipping bit " + bit + " of byte " + offset + " made a load return wrong bytes;"
                        + " replay: mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=BitFlipSweepTest");
            }
            if (res == SweepResult.DETECTED) {
                detected += padding.get(offset) ? 0 : 1;
            } else if (padding.get(offset)) {
                paddingMissed++;
            } else if (!undetected.isEmpty() && undetected.getLast().endsWith("-" + (offset - 1))) {
                String last = undetected.removeLast();
                undetected.add(last.substring(0, last.lastIndexOf('-') + 1) + offset);
            } else {
                undetected.add(offset + "-" + offset);
            }
        }
        System.out.printf("[fuzz] bit flips: %d (every byte of a %d-byte sealed segment), 0 wrong bytes served; %d of %d flips in"
                + " record, header and footer bytes detected; %d of %d flips in zero padding not reported yet (fsck, issue 3), %.1f s%n",
                flips, clean.length, detected, flips - padding.cardinality(), paddingMissed, padding.cardinality(), (System.nanoTime() - t0) / 1e9);
        assertTrue(undetected.isEmpty(), "flips outside padding that no check reports, at offsets: " + undetected);
    }

    /**
     * The bytes no field covers: the rest of the segment header block, of each group's header
     * block, each payload's tail up to the alignment, and the footer's gap before its trailer.
     * They are zeros by the format's rule, but today no reader checks that; a flip there is
     * harmless to loads (the test proves it) and is left for fsck's zero-padding check (issue 3):
     * when fsck lands, call it in {@link #check} and require every flip detected.
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
        used.set((int) dataEnd, (int) (dataEnd + (long) entries.size() * SegmentFooter.ENTRY_BYTES));
        used.set(length - SegmentFooter.TRAILER_BYTES, length);
        java.util.BitSet pad = new java.util.BitSet(length);
        pad.set(0, length);
        pad.andNot(used);
        return pad;
    }

    enum SweepResult { CLEAN, DETECTED, WRONG_BYTES }

    /** Runs every check a load or fsck makes; see the class comment. */
    private static SweepResult check(SimFileIO io, Path file, List<SegmentFooter.Entry> original, List<byte[]> payloads)
            throws IOException {
        boolean reported = false;
        try (Arena arena = Arena.ofConfined()) {
            SegmentReader r;
            try {
                r = SegmentReader.open(io, file, ID);
            } catch (CorruptRecordException e) {
                return SweepResult.DETECTED; // loads then report the segment corrupt; nothing is served
            }
            try (r) {
                // 1. Loads, at the locations the index holds.
                for (int i = 0; i < original.size(); i++) {
                    BlockLocation loc = original.get(i).location();
                    MemorySegment buf = arena.allocate(4 * 4096L, ALIGN);
                    try {
                        r.readVerified(loc, buf);
                        byte[] got = buf.asSlice(0, loc.storedLength()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                        if (!java.util.Arrays.equals(got, payloads.get(i))) {
                            return SweepResult.WRONG_BYTES;
                        }
                    } catch (CorruptRecordException e) {
                        reported = true;
                    }
                }
                // 2. The footer: trailer, entries and their CRC; its entries must be the written ones.
                SegmentFooter footer = null;
                try {
                    footer = r.readFooter();
                    if (!footer.entries().equals(original)) {
                        return SweepResult.WRONG_BYTES; // a footer that checks out but lies would mislead a rebuild
                    }
                } catch (CorruptRecordException e) {
                    reported = true;
                }
                // 3. A full scan with payload CRCs up to the data's end.
                long limit = footer != null ? footer.dataEnd() : Long.MAX_VALUE;
                SegmentScanner.Result scan = SegmentScanner.scan(io, file, ID, true, limit);
                if (footer != null && (scan.stop() == SegmentScanner.Stop.CORRUPT || scan.records().size() != original.size())) {
                    reported = true;
                }
                if (footer == null && scan.stop() == SegmentScanner.Stop.CORRUPT && scan.validEnd() < original.getLast().location().payloadOffset()) {
                    reported = true;
                }
            }
        } catch (CorruptRecordException e) {
            reported = true;
        }
        return reported ? SweepResult.DETECTED : SweepResult.CLEAN;
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
