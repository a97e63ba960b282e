package io.spillway.segments;

import static io.spillway.segments.SegmentFixtures.ALIGN;
import static io.spillway.segments.SegmentFixtures.allLive;
import static io.spillway.segments.SegmentFixtures.key;
import static io.spillway.segments.SegmentFixtures.payload;
import static io.spillway.segments.SegmentFixtures.staging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.SegmentPadding.Range;
import io.spillway.segments.SegmentPadding.Region;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentPaddingTest {

    private static final long ID = 0x51;

    @TempDir
    Path dir;

    /** Writes and seals a segment of the given groups of stored lengths; returns its footer. */
    private SegmentFooter write(FileIO io, int[][] groups) throws IOException {
        try (Arena arena = Arena.ofConfined(); SegmentWriter w = SegmentWriter.create(io, dir, ID, 1L << 20, ALIGN, staging(arena))) {
            int k = 0;
            for (int[] sizes : groups) {
                List<RecordSource> records = new ArrayList<>();
                for (int size : sizes) {
                    records.add(SegmentFixtures.heapSource(key(k), payload(k, size), RecordFlags.AUTO_COMMIT));
                    k++;
                }
                w.append(records, () -> { });
            }
            w.sync();
            return w.seal(allLive(w));
        }
    }

    private Path file() {
        return new SegmentPath(ID, SegmentPath.State.SEALED).in(dir);
    }

    private SegmentPadding.Result check(FileIO io) throws IOException {
        try (SegmentReader r = SegmentReader.open(io, file(), ID)) {
            return SegmentPadding.check(r, r.readFooter());
        }
    }

    private void flip(long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            ch.write(b.flip(), offset);
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void cleanSegmentHasNoNonZeroPaddingAndAFlipInEachKindIsFoundWhereItIs(boolean direct) throws IOException {
        FileIO io = SegmentFixtures.io(dir, direct);
        SegmentFooter footer = write(io, new int[][] {{4097, 100, 8192}, {0, 5000}});
        SegmentPadding.Result clean = check(io);
        assertTrue(clean.clean(), clean::toString);

        List<SegmentFooter.Entry> e = footer.entries();
        long secondGroup = e.get(3).location().payloadOffset() - GroupHeader.headerBlockLength(2, ALIGN);
        long footerGap = footer.dataEnd() + SegmentFooter.HEADER_BYTES + 5L * SegmentFooter.ENTRY_BYTES;
        record Planted(long offset, Region region) {
        }
        List<Planted> plants = List.of(
                new Planted(SegmentHeader.BYTES, Region.SEGMENT_HEADER_BLOCK),
                new Planted(ALIGN - 1, Region.SEGMENT_HEADER_BLOCK),
                new Planted(ALIGN + GroupHeader.BYTES + 3L * RecordHeader.BYTES, Region.GROUP_HEADER_BLOCK),
                new Planted(secondGroup + GroupHeader.BYTES + 2L * RecordHeader.BYTES + 77, Region.GROUP_HEADER_BLOCK),
                new Planted(e.get(0).location().payloadOffset() + 4097, Region.PAYLOAD_TAIL),
                new Planted(e.get(1).location().payloadOffset() + ALIGN - 1, Region.PAYLOAD_TAIL),
                new Planted(e.get(4).location().payloadOffset() + 5000 + 9, Region.PAYLOAD_TAIL),
                new Planted(footerGap, Region.FOOTER_GAP),
                new Planted(footer.dataEnd() + SegmentLayout.footerLength(5, ALIGN) - SegmentFooter.TRAILER_BYTES - 1,
                        Region.FOOTER_GAP));
        for (Planted p : plants) {
            flip(p.offset(), (int) (p.offset() % 8));
            SegmentPadding.Result r = check(io);
            flip(p.offset(), (int) (p.offset() % 8));
            assertEquals(List.of(new Range(p.offset(), 1, p.region())), r.nonZero(), p.toString());
            assertNull(r.layoutProblem());
        }
        assertTrue(check(io).clean());
    }

    @Test
    void nonZeroBytesOfOneRegionMergeIntoOneRangeFromFirstToLast() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        SegmentFooter footer = write(io, new int[][] {{100}});
        long tail = footer.entries().getFirst().location().payloadOffset() + 100;
        flip(tail + 10, 0);
        flip(tail + 500, 7);
        flip(ALIGN - 1, 3); // the segment header block: another region
        assertEquals(List.of(new Range(ALIGN - 1, 1, Region.SEGMENT_HEADER_BLOCK), new Range(tail + 10, 491, Region.PAYLOAD_TAIL)),
                check(io).nonZero());
    }

    @Test
    void onlyUnitsHoldingPaddingAreReadAndAnAlignedPayloadHasNoTailRead() throws IOException {
        FailingSyncIO io = new FailingSyncIO(SegmentFixtures.io(dir, false));
        SegmentFooter footer = write(io, new int[][] {{2 * ALIGN, 5000}});
        try (SegmentReader r = SegmentReader.open(io, file(), ID)) {
            SegmentFooter read = r.readFooter();
            io.reads.clear();
            assertTrue(SegmentPadding.check(r, read).clean());
        }
        long unaligned = footer.entries().get(1).location().payloadOffset();
        List<String> expected = List.of(
                "0+" + ALIGN, // segment header block
                ALIGN + "+" + ALIGN, // the group's header block; payload 0 (aligned) is skipped
                (unaligned + ALIGN) + "+" + ALIGN, // the last unit of payload 1, which holds its tail
                footer.dataEnd() + "+" + ALIGN); // the footer
        assertEquals(expected, io.reads.stream().map(r -> r.offset() + "+" + r.length()).toList());
    }

    @Test
    void entriesThatDoNotTileTheDataAreaAreALayoutProblem() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        SegmentFooter footer = write(io, new int[][] {{100, 200}, {300}});
        List<SegmentFooter.Entry> swapped = new ArrayList<>(footer.entries());
        swapped.add(0, swapped.remove(1)); // the first group's payloads out of order
        SegmentFooter lying = new SegmentFooter(ID, footer.dataEnd(), swapped);
        try (SegmentReader r = SegmentReader.open(io, file(), ID)) {
            SegmentPadding.Result res = SegmentPadding.check(r, lying);
            assertNotNull(res.layoutProblem());
            assertTrue(res.nonZero().isEmpty(), res::toString);
            SegmentFooter shortened = new SegmentFooter(ID, footer.dataEnd() + ALIGN, footer.entries());
            assertNotNull(SegmentPadding.check(r, shortened).layoutProblem(), "groups must end at dataEnd");
        }
    }
}
