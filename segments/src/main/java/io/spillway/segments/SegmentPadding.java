package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that every padding byte of a sealed segment is zero, as the format requires.
 *
 * <p>Padding is every byte that no field covers; no reader looks at it, so without this check a
 * flipped bit there would go unnoticed forever (harmless to loads, but a sign of a failing
 * device that fsck should report). The regions, in file order:
 * <ol>
 *   <li>the segment header block after the {@link SegmentHeader}, up to the first group;
 *   <li>each group's header block after its {@link GroupHeader} and record headers, up to
 *       {@link GroupHeader#headerBlockLength};
 *   <li>each payload's tail, from its stored length up to the alignment;
 *   <li>the footer's gap between its last entry and its trailer.
 * </ol>
 * Reserved fields inside headers, entries and trailers are not padding: their CRCs cover them.
 *
 * <p>Groups are not read from the group headers (a damaged one is the header scan's business)
 * but derived from the verified footer: the payloads of one group are back to back on the
 * alignment, a group's header block of {@code headerBlockLength(n)} bytes comes right before its
 * first payload, and groups are back to back from {@link SegmentLayout#firstGroupOffset} to
 * {@code dataEnd}. A gap between two payloads is always the next group's header block (at least
 * one alignment unit), so the split is unambiguous. Entries that do not tile the data area that
 * way are reported as a layout problem, and then no group's padding is checked (where the
 * groups are is unknown; guessing would report record headers as non-zero padding).
 *
 * <p>Only the units that hold padding are read (a payload whose stored length is aligned has no
 * tail and costs no read), in aligned units from aligned buffers so that O_DIRECT IO works.
 */
public final class SegmentPadding {

    /** Which kind of padding a range is in. */
    public enum Region {
        SEGMENT_HEADER_BLOCK, GROUP_HEADER_BLOCK, PAYLOAD_TAIL, FOOTER_GAP
    }

    /**
     * Non-zero bytes in one padding region: from its first non-zero byte to its last, so that
     * writing zeros over the range restores the region (everything in it is padding).
     */
    public record Range(long offset, long length, Region region) {
        @Override
        public String toString() {
            return region + " [" + offset + ", " + (offset + length) + ")";
        }
    }

    /**
     * What the check found.
     *
     * @param nonZero the non-zero ranges, in file order, at most one per padding region
     * @param layoutProblem why the footer's entries do not tile the data area, or null if they do
     */
    public record Result(List<Range> nonZero, CorruptRecordException layoutProblem) {
        public boolean clean() {
            return nonZero.isEmpty() && layoutProblem == null;
        }
    }

    private final int alignment;
    private final List<Range> nonZero = new ArrayList<>();
    private final SegmentReader reader;
    /** Regions come in file order, and at a small alignment several share one IO unit. */
    private final ReadWindow window;

    private SegmentPadding(SegmentReader reader, Arena arena) {
        this.alignment = reader.alignment();
        this.reader = reader;
        this.window = new ReadWindow(reader::read, arena, reader.readUnit(), 0);
    }

    /**
     * Checks the padding of the segment {@code reader} has open, whose footer {@code footer} was
     * read and verified by {@link SegmentReader#readFooter}.
     *
     * @throws CorruptRecordException if the file is shorter than its footer says
     */
    public static Result check(SegmentReader reader, SegmentFooter footer) throws IOException {
        return check(reader, footer, true);
    }

    /**
     * Checks the padding of the data area only, [0, {@code dataEnd}) where {@code records}
     * (file order, as a scan finds them) end: what an unsealed segment has. Recovery uses it to
     * clear what a torn, never-synced write left in bytes no CRC covers before it seals.
     */
    public static Result checkData(SegmentReader reader, List<SegmentFooter.Entry> records, long dataEnd) throws IOException {
        return check(reader, new SegmentFooter(reader.segmentId(), dataEnd, records), false);
    }

    private static Result check(SegmentReader reader, SegmentFooter footer, boolean footerGap) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            SegmentPadding p = new SegmentPadding(reader, arena);
            List<Group> groups;
            CorruptRecordException layout = null;
            try {
                groups = tile(footer, p.alignment);
            } catch (CorruptRecordException e) {
                // Where groups are is unknown: checking their padding would report record headers as non-zero.
                groups = List.of();
                layout = e;
            }
            p.region(SegmentHeader.BYTES, SegmentLayout.firstGroupOffset(p.alignment), Region.SEGMENT_HEADER_BLOCK);
            for (Group g : groups) {
                p.region(g.offset() + GroupHeader.BYTES + (long) g.count() * RecordHeader.BYTES,
                        g.offset() + GroupHeader.headerBlockLength(g.count(), p.alignment), Region.GROUP_HEADER_BLOCK);
                for (SegmentFooter.Entry e : footer.entries().subList(g.first(), g.first() + g.count())) {
                    BlockLocation loc = e.location();
                    p.region(loc.payloadOffset() + loc.storedLength(), paddedEnd(loc, p.alignment), Region.PAYLOAD_TAIL);
                }
            }
            if (footerGap) {
                long gap = footer.dataEnd() + SegmentFooter.HEADER_BYTES + (long) footer.entries().size() * SegmentFooter.ENTRY_BYTES;
                p.region(gap, reader.size() - SegmentFooter.TRAILER_BYTES, Region.FOOTER_GAP);
            }
            return new Result(List.copyOf(p.nonZero), layout);
        }
    }

    /**
     * Writes zeros over {@code ranges} of {@code file} (padding, as {@link #check} found it),
     * read-modify-write in aligned units so that O_DIRECT works. Not synced: the caller syncs.
     */
    public static void zero(FileIO io, Path file, List<Range> ranges) throws IOException {
        int unit = Math.max(io.alignment(), 512);
        try (StoreFile f = io.openWrite(file); Arena arena = Arena.ofConfined()) {
            for (Range r : ranges) {
                long s = SegmentLayout.alignDown(r.offset(), unit);
                long len = SegmentLayout.alignUp(r.offset() + r.length(), unit) - s;
                MemorySegment buf = arena.allocate(len, unit);
                long n = f.read(buf, s);
                if (n < len) {
                    throw new CorruptRecordException(s + n, "segment file " + file + " ends inside the padding to clear");
                }
                buf.asSlice(r.offset() - s, r.length()).fill((byte) 0);
                f.write(buf, s);
            }
        }
    }

    /** A group as the footer implies it: at {@code offset}, holding entries [first, first + count). */
    private record Group(long offset, int first, int count) {
    }

    /**
     * Splits the footer's entries into groups (see the class comment).
     *
     * @throws CorruptRecordException if the entries do not tile [firstGroupOffset, dataEnd)
     */
    private static List<Group> tile(SegmentFooter footer, int alignment) throws CorruptRecordException {
        List<SegmentFooter.Entry> entries = footer.entries();
        List<Group> groups = new ArrayList<>();
        long groupOffset = SegmentLayout.firstGroupOffset(alignment);
        int i = 0;
        while (i < entries.size()) {
            int n = 1;
            long end = paddedEnd(entries.get(i).location(), alignment);
            while (i + n < entries.size() && entries.get(i + n).location().payloadOffset() == end) {
                end = paddedEnd(entries.get(i + n).location(), alignment);
                n++;
            }
            long first = entries.get(i).location().payloadOffset();
            if (n > GroupHeader.MAX_RECORDS || first - GroupHeader.headerBlockLength(n, alignment) != groupOffset) {
                throw new CorruptRecordException(groupOffset, "footer entries " + i + " to " + (i + n - 1)
                        + " do not form the group that starts at " + groupOffset + ": " + n + " payloads from " + first);
            }
            groups.add(new Group(groupOffset, i, n));
            groupOffset = end;
            i += n;
        }
        if (groupOffset != footer.dataEnd()) {
            throw new CorruptRecordException(groupOffset, "the footer's groups end at " + groupOffset + ", its dataEnd is "
                    + footer.dataEnd());
        }
        return groups;
    }

    private static long paddedEnd(BlockLocation loc, int alignment) {
        return loc.payloadOffset() + SegmentLayout.alignUp(loc.storedLength(), alignment);
    }

    /** Records the non-zero bytes of padding region [from, to), if any; reads nothing when it is empty. */
    private void region(long from, long to, Region region) throws IOException {
        if (from >= to) {
            return;
        }
        MemorySegment bytes = window.bytes(from, to - from);
        if (bytes.byteSize() < to - from) {
            throw new CorruptRecordException(from + bytes.byteSize(), "segment " + reader.segmentId() + " ends at "
                    + (from + bytes.byteSize()) + ", inside padding that reaches " + to);
        }
        long first = 0;
        long len = bytes.byteSize();
        while (first < len && bytes.get(ValueLayout.JAVA_BYTE, first) == 0) {
            first++;
        }
        if (first == len) {
            return;
        }
        long last = len - 1;
        while (bytes.get(ValueLayout.JAVA_BYTE, last) == 0) {
            last--;
        }
        nonZero.add(new Range(from + first, last + 1 - first, region));
    }
}
