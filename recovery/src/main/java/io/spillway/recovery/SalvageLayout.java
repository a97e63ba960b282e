package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Checksums;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
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
import java.util.zip.CRC32C;

/**
 * Turns what a {@link SegmentSalvage} found into a valid data area, keeping every record it
 * found where it is: the group header blocks to write and the footer's entries, in file order.
 *
 * <p>The format requires groups back to back from the first group offset to {@code dataEnd},
 * each a header block of {@code headerBlockLength(count)} bytes followed by its payloads back to
 * back. The layout keeps each group found, with its header block where it was and of the same
 * length, and fills what is missing with {@link FillerRecord}s:
 * <ul>
 *   <li>between two records of a group (slots whose headers were lost), and from a group's last
 *       record to where the next group starts: a filler over those bytes;
 *   <li>so that the count matches the header block's length (which encodes it): zero-length
 *       fillers at the group's end (a group never needs more slots than it had: every filler
 *       stands for at least one lost slot);
 *   <li>a region between groups in which nothing checked out: filler groups, each a header block
 *       of one record and a filler of up to {@link FillerRecord#MAX_LENGTH} bytes.
 * </ul>
 * The data area ends after the last valid record (a valid header and payload): what follows it
 * (a cut group's lost records, damaged tail, the old footer) is given up, as a truncation does.
 * A record whose header checks out but whose payload does not keeps its slot before that point
 * (its footer entry is then not live). Header blocks are rewritten for every group kept (a
 * rewrite of an intact one writes the same bytes).
 */
final class SalvageLayout {

    /** What occupies a slot. */
    enum Kind {
        /** A record whose header and payload check out. */
        RECORD,
        /** A record whose header checks out but whose payload does not: kept, never live. */
        DEAD,
        /** A filler over bytes that were not salvaged: never live. */
        FILLER
    }

    /** One slot of the new layout. */
    record Slot(SegmentFooter.Entry entry, Kind kind) {
    }

    /**
     * The new data area.
     *
     * @param slots every record, in file order (the footer's entries, before liveness is set)
     * @param headerBlocks the group header blocks to write
     * @param dataEnd where the data ends (where the footer goes)
     */
    record Layout(List<Slot> slots, List<SegmentPatch.Write> headerBlocks, long dataEnd) {

        long count(Kind kind) {
            return slots.stream().filter(s -> s.kind() == kind).count();
        }
    }

    /** Thrown when the records found cannot be kept at their offsets in a valid layout. */
    static final class CannotLayOutException extends IOException {
        CannotLayOutException(String message) {
            super(message);
        }
    }

    private static final long CRC_CHUNK = 4L << 20;

    private final long segmentId;
    private final int alignment;
    private final StoreFile file;
    private final Arena arena;
    private final List<Slot> slots = new ArrayList<>();
    private final List<SegmentPatch.Write> blocks = new ArrayList<>();
    private MemorySegment chunk;

    private SalvageLayout(long segmentId, int alignment, StoreFile file, Arena arena) {
        this.segmentId = segmentId;
        this.alignment = alignment;
        this.file = file;
        this.arena = arena;
    }

    /**
     * Lays out {@code found}'s groups of segment file {@code path}, read through {@code io}
     * (the view the salvage read) for the fillers' CRCs.
     */
    static Layout plan(FileIO io, Path path, long segmentId, int alignment, SegmentSalvage.Result found) throws IOException {
        List<SegmentSalvage.Group> groups = found.groups();
        int tail = -1;
        for (int k = 0; k < groups.size(); k++) {
            if (groups.get(k).records().stream().anyMatch(SegmentSalvage.Found::valid)) {
                tail = k;
            }
        }
        try (StoreFile f = io.openRead(path); Arena arena = Arena.ofConfined()) {
            SalvageLayout l = new SalvageLayout(segmentId, alignment, f, arena);
            long cursor = SegmentLayout.firstGroupOffset(alignment);
            for (int k = 0; k <= tail; k++) {
                SegmentSalvage.Group g = groups.get(k);
                if (g.offset() > cursor) {
                    l.fillerGroups(cursor, g.offset());
                }
                cursor = l.group(g, k == tail);
            }
            return new Layout(List.copyOf(l.slots), List.copyOf(l.blocks), cursor);
        }
    }

    /** Lays out one group found; returns where it ends. */
    private long group(SegmentSalvage.Group g, boolean last) throws IOException {
        List<SegmentSalvage.Found> records = g.records();
        if (last) {
            int lastValid = records.size() - 1;
            while (!records.get(lastValid).valid()) {
                lastValid--;
            }
            records = records.subList(0, lastValid + 1);
        }
        long end = last ? records.getLast().paddedEnd(alignment) : g.end();
        List<Slot> group = new ArrayList<>();
        long cursor = g.offset() + g.headerBlock();
        for (SegmentSalvage.Found r : records) {
            long at = r.entry().location().payloadOffset();
            if (at > cursor) {
                fillers(group, cursor, at);
            }
            group.add(new Slot(r.entry(), r.valid() ? Kind.RECORD : Kind.DEAD));
            cursor = r.paddedEnd(alignment);
        }
        if (cursor < end) {
            fillers(group, cursor, end);
        }
        while (group.size() < GroupHeader.MAX_RECORDS && GroupHeader.headerBlockLength(group.size(), alignment) < g.headerBlock()) {
            group.add(new Slot(FillerRecord.of(segmentId, end, 0, 0), Kind.FILLER));
        }
        if (group.size() > GroupHeader.MAX_RECORDS || GroupHeader.headerBlockLength(group.size(), alignment) != g.headerBlock()) {
            throw new CannotLayOutException("the group at " + g.offset() + " would need " + group.size()
                    + " records, more than its header block of " + g.headerBlock() + " bytes holds");
        }
        emit(g.offset(), end, group);
        return end;
    }

    /** Filler groups over [from, to), where nothing was salvaged. */
    private void fillerGroups(long from, long to) throws IOException {
        int headerBlock = GroupHeader.headerBlockLength(1, alignment);
        for (long at = from; at < to; ) {
            long payload = Math.min(to - at - headerBlock, FillerRecord.MAX_LENGTH);
            List<Slot> one = new ArrayList<>(1);
            one.add(filler(at + headerBlock, payload));
            long end = at + headerBlock + payload;
            emit(at, end, one);
            at = end;
        }
    }

    /** Fillers over [from, to) inside a group, each of at most {@link FillerRecord#MAX_LENGTH} bytes. */
    private void fillers(List<Slot> group, long from, long to) throws IOException {
        for (long at = from; at < to; at += FillerRecord.MAX_LENGTH) {
            group.add(filler(at, Math.min(to - at, FillerRecord.MAX_LENGTH)));
        }
    }

    /** A filler over the bytes [offset, offset + length) as they are in the file (read in chunks for its CRC). */
    private Slot filler(long offset, long length) throws IOException {
        CRC32C crc = new CRC32C();
        for (long at = offset; at < offset + length; at += CRC_CHUNK) {
            long want = Math.min(CRC_CHUNK, offset + length - at);
            if (chunk == null) {
                chunk = arena.allocate(CRC_CHUNK, 4096);
            }
            long n = file.read(chunk.asSlice(0, want), at);
            if (n < want) {
                throw new CannotLayOutException("a filler at " + offset + " reaches past the end of the file, at " + (at + n));
            }
            Checksums.update(crc, chunk.asSlice(0, want));
        }
        return new Slot(FillerRecord.of(segmentId, offset, length, (int) crc.getValue()), Kind.FILLER);
    }

    /** Records a group's header block (at {@code offset}, the group ending at {@code end}) and its slots. */
    private void emit(long offset, long end, List<Slot> group) {
        int headerBlock = GroupHeader.headerBlockLength(group.size(), alignment);
        ByteBuffer block = ByteBuffer.allocate(headerBlock).order(ByteOrder.LITTLE_ENDIAN);
        new GroupHeader(group.size(), segmentId, offset, end - offset, headerBlock).encode(block);
        for (Slot s : group) {
            BlockLocation l = s.entry().location();
            RecordHeader.of(s.entry().key(), l.withFlags(l.flags() & ~RecordFlags.NOT_LIVE)).encode(block);
        }
        blocks.add(new SegmentPatch.Write(offset, block.array()));
        slots.addAll(group);
    }
}
