package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a segment's groups forward from the first, checking every group header, record header
 * and (optionally) payload CRC, and stops at the first thing that does not check out.
 *
 * <p>The scan never looks inside payloads for structure: it jumps from group to group by their
 * lengths, so payload bytes that happen to look like a header are never parsed as one. A zero
 * group header ends the data normally (an unwritten, preallocated tail); anything else that fails
 * is a torn or corrupt tail, reported with its offset. Records before it are the valid prefix.
 */
public final class SegmentScanner {

    /** Why the scan stopped. */
    public enum Stop {
        /** Reached zeros: the normal end of an open segment's data where its length was extended. */
        CLEAN_END,
        /** Reached the end of the file at a group boundary: the normal end of an open segment's data. */
        END_OF_FILE,
        /** Found a torn or corrupt group, header or payload. */
        CORRUPT
    }

    /**
     * What a scan found.
     *
     * @param records valid records, in file order
     * @param validEnd the offset just past the last valid group (where a repair truncates)
     * @param stop why the scan stopped
     * @param problem the corruption found, if {@code stop == CORRUPT}
     * @param alignment the segment's alignment, from its header
     */
    public record Result(List<SegmentFooter.Entry> records, long validEnd, Stop stop, CorruptRecordException problem,
                         int alignment) {
    }

    private SegmentScanner() {
    }

    /**
     * Scans segment file {@code path} (open or sealed; a sealed one's footer ends the scan as a
     * corrupt group would, so callers prefer its footer).
     *
     * @param verifyPayloads read every payload and check its CRC32C (recovery does; a quick
     *     listing does not)
     * @param limit scan no further than this offset (the file size, or a footer's dataEnd)
     */
    public static Result scan(FileIO io, Path path, long segmentId, boolean verifyPayloads, long limit) throws IOException {
        try (StoreFile file = io.openRead(path); Arena arena = Arena.ofConfined()) {
            int unit = Math.max(io.alignment(), 4096);
            MemorySegment first = arena.allocate(unit, unit);
            if (file.read(first, 0) < SegmentHeader.BYTES) {
                throw new CorruptRecordException(0, path + " is too short for a segment header");
            }
            SegmentHeader header = SegmentHeader.decode(first.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
            if (header.segmentId() != segmentId) {
                throw new CorruptRecordException(0, path + " holds segment " + header.segmentId() + ", expected " + segmentId);
            }
            int alignment = header.alignment();
            long fileLimit = Math.min(limit, file.size());
            int headerBlockMax = GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, alignment);
            MemorySegment headBuf = arena.allocate(SegmentLayout.alignUp(headerBlockMax, unit), unit);
            List<SegmentFooter.Entry> records = new ArrayList<>();
            long pos = SegmentLayout.firstGroupOffset(alignment);
            PayloadChecker checker = verifyPayloads ? new PayloadChecker(file, arena, unit) : null;
            while (true) {
                if (pos + GroupHeader.BYTES > fileLimit) {
                    return new Result(records, pos, Stop.END_OF_FILE, null, alignment);
                }
                try {
                    long n = file.read(headBuf.asSlice(0, Math.min(headBuf.byteSize(), SegmentLayout.alignUp(fileLimit - pos, unit))), pos);
                    ByteBuffer hb = headBuf.asSlice(0, n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    GroupHeader g = GroupHeader.decode(hb, segmentId, pos, fileLimit, alignment);
                    if (g == null) {
                        return new Result(records, pos, Stop.CLEAN_END, null, alignment);
                    }
                    List<SegmentFooter.Entry> group = new ArrayList<>(g.count());
                    long expected = pos + g.headerBlockLength();
                    for (int i = 0; i < g.count(); i++) {
                        long at = pos + GroupHeader.BYTES + (long) i * RecordHeader.BYTES;
                        RecordHeader r = RecordHeader.decode(hb, at, pos + g.groupLength());
                        if (r.payloadOffset() != expected) {
                            throw new CorruptRecordException(at, "record payload at " + r.payloadOffset() + ", expected " + expected);
                        }
                        expected += SegmentLayout.alignUp(r.storedLength(), alignment);
                        group.add(new SegmentFooter.Entry(r.key(), r.location(segmentId)));
                    }
                    if (expected != pos + g.groupLength()) {
                        throw new CorruptRecordException(pos, "group length " + g.groupLength() + " disagrees with its records");
                    }
                    if (checker != null) {
                        for (SegmentFooter.Entry e : group) {
                            checker.check(e.location());
                        }
                    }
                    records.addAll(group);
                    pos += g.groupLength();
                } catch (CorruptRecordException e) {
                    return new Result(records, pos, Stop.CORRUPT, e, alignment);
                }
            }
        }
    }

    /** Reads payloads through one reusable aligned buffer, growing it as needed. */
    private static final class PayloadChecker {
        private final StoreFile file;
        private final Arena arena;
        private final int unit;
        private MemorySegment buf;

        PayloadChecker(StoreFile file, Arena arena, int unit) {
            this.file = file;
            this.arena = arena;
            this.unit = unit;
        }

        void check(BlockLocation loc) throws IOException {
            long need = SegmentLayout.alignUp(loc.storedLength(), unit);
            if (buf == null || buf.byteSize() < need) {
                buf = arena.allocate(Math.max(need, 1 << 20), unit);
            }
            long n = file.read(buf.asSlice(0, need), loc.payloadOffset());
            if (n < loc.storedLength()) {
                throw new CorruptRecordException(loc.payloadOffset(), "payload cut short: " + n + " of " + loc.storedLength() + " bytes");
            }
            SegmentReader.verify(loc, buf.asSlice(0, loc.storedLength()));
        }
    }
}
