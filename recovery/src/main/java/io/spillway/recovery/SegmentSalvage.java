package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.ReadWindow;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentReader;
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
 * Finds the records of a segment from its group and record headers alone, without its footer:
 * what a repair reseals a segment from when the footer is gone (cut off, overwritten, garbled).
 *
 * <p>The walk goes forward from the first group, by the group lengths, never parsing payload
 * bytes as structure. Under {@link CorruptionPolicy#STRICT} it stops at the first group that
 * fails any check and drops that group. Under {@link CorruptionPolicy#BEST_EFFORT}:
 * <ul>
 *   <li>A group whose header checks out gives its slots: each record header is checked on its
 *       own (its CRC, a payload on the alignment, after the previous record, inside the group),
 *       and each payload against its CRC. A slot whose header fails is lost, the others are
 *       kept. A group cut by the end of the file keeps the records that lie wholly before it.
 *   <li>A group whose header fails (or is zeros: a sealed segment's data has no end marker before
 *       its footer) may still have record headers that check out in its header block: they give
 *       the group's records, and where its payloads start.
 *   <li>After a damaged group the walk resynchronises: it tries every later offset on the
 *       alignment for a group header that checks out (it names its own offset and segment, under
 *       a CRC), or a first record header that does. Nothing between is kept.
 * </ul>
 * A record is <em>valid</em> when its header and payload CRCs both check out; a record whose
 * header checks out but whose payload does not (or is cut) is reported too, so that the layout
 * keeps its slot. A payload that happens to contain a whole segment image could be mistaken for
 * groups after a resynchronisation; every record found that way still had to pass its own CRCs.
 */
final class SegmentSalvage {

    /** A record found: its entry, and whether its payload is whole and matches its CRC. */
    record Found(SegmentFooter.Entry entry, boolean valid) {
        long paddedEnd(int alignment) {
            BlockLocation l = entry.location();
            return l.payloadOffset() + SegmentLayout.alignUp(l.storedLength(), alignment);
        }
    }

    /**
     * A group as found.
     *
     * @param offset where it starts
     * @param headerBlock its header block's length (where its first payload starts)
     * @param end where it ends: by its header, or where the walk found the next group
     * @param records the records found in it, in file order
     * @param headerIntact whether its group header checked out
     */
    record Group(long offset, int headerBlock, long end, List<Found> records, boolean headerIntact) {
    }

    /**
     * What the walk found.
     *
     * @param groups the groups, in file order
     * @param lostRegions byte ranges in which nothing checked out, as "[from, to)"
     * @param lostSlots record headers that did not check out in groups whose header did
     */
    record Result(List<Group> groups, List<String> lostRegions, int lostSlots) {

        List<Found> records() {
            return groups.stream().flatMap(g -> g.records().stream()).toList();
        }

        long validRecords() {
            return records().stream().filter(Found::valid).count();
        }
    }

    private static final long WINDOW = 16L << 20;

    /** Windowed reads, forward mostly: one large read serves many headers and payloads. */
    private final ReadWindow in;
    private final long segmentId;
    private final int alignment;
    private final long limit;
    private final int maxHeaderBlock;
    private final List<Group> groups = new ArrayList<>();
    private final List<String> lost = new ArrayList<>();
    private int lostSlots;

    private SegmentSalvage(ReadWindow in, long segmentId, int alignment, long limit) {
        this.in = in;
        this.segmentId = segmentId;
        this.alignment = alignment;
        this.limit = limit;
        this.maxHeaderBlock = GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, alignment);
    }

    /**
     * Walks segment file {@code file} (whose header, read through {@code io}, says
     * {@code alignment}) up to {@code limit} under {@code policy}.
     */
    static Result scan(FileIO io, Path file, long segmentId, int alignment, long limit, CorruptionPolicy policy)
            throws IOException {
        try (StoreFile f = io.openRead(file); Arena arena = Arena.ofConfined()) {
            SegmentSalvage s = new SegmentSalvage(new ReadWindow(f::read, arena, 4096, WINDOW), segmentId, alignment, Math.min(limit, f.size()));
            s.walk(policy);
            return new Result(List.copyOf(s.groups), List.copyOf(s.lost), s.lostSlots);
        }
    }

    private void walk(CorruptionPolicy policy) throws IOException {
        long pos = SegmentLayout.firstGroupOffset(alignment);
        while (pos + GroupHeader.BYTES <= limit) {
            GroupHeader g = groupAt(pos);
            if (g != null) {
                long end = pos + g.groupLength();
                int before = lostSlots;
                List<Found> found = slots(pos, g.count(), g.headerBlockLength(), end);
                boolean whole = end <= limit && lostSlots == before && found.stream().allMatch(Found::valid);
                if (policy == CorruptionPolicy.STRICT && !whole) {
                    lost.add("[" + pos + ", " + limit + ")");
                    return;
                }
                groups.add(new Group(pos, g.headerBlockLength(), end, found, true));
                pos = end;
                continue;
            }
            if (policy == CorruptionPolicy.STRICT) {
                if (!isZero(pos)) {
                    lost.add("[" + pos + ", " + limit + ")");
                }
                return;
            }
            Group orphan = orphanSlots(pos);
            long next = resync(orphan == null ? pos + alignment : orphan.end());
            if (orphan != null) {
                groups.add(new Group(orphan.offset(), orphan.headerBlock(), next, orphan.records(), false));
            } else {
                lost.add("[" + pos + ", " + next + ")");
            }
            pos = next;
        }
    }

    /** The group header at {@code pos} if it checks out (a cut group included); null otherwise. */
    private GroupHeader groupAt(long pos) throws IOException {
        ByteBuffer b = bytes(pos, GroupHeader.BYTES);
        if (b.remaining() < GroupHeader.BYTES) {
            return null;
        }
        try {
            // No length limit here: a group cut by the end of the file still gives its records.
            return GroupHeader.decode(b, segmentId, pos, Long.MAX_VALUE / 4, alignment);
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    private boolean isZero(long pos) throws IOException {
        ByteBuffer b = bytes(pos, GroupHeader.BYTES);
        for (int i = 0; i < b.remaining(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The records of the group at {@code pos} whose header says {@code count} slots and ends at {@code end}. */
    private List<Found> slots(long pos, int count, int headerBlock, long end) throws IOException {
        List<Found> out = new ArrayList<>();
        long prevEnd = pos + headerBlock;
        for (int i = 0; i < count; i++) {
            long at = pos + GroupHeader.BYTES + (long) i * RecordHeader.BYTES;
            BlockLocation loc = recordAt(at, end);
            if (loc == null || loc.payloadOffset() < prevEnd || paddedEnd(loc) > end) {
                lostSlots++;
                continue;
            }
            Found f = verified(at, loc);
            out.add(f);
            prevEnd = f.paddedEnd(alignment);
        }
        return out;
    }

    /**
     * Record headers that check out in the header block of a group at {@code pos} whose own
     * header does not; null if there are none. The returned group's end is the end of its last
     * record found (the walk resynchronises from there).
     */
    private Group orphanSlots(long pos) throws IOException {
        List<Found> out = new ArrayList<>();
        long firstPayload = Long.MAX_VALUE;
        long prevEnd = 0;
        for (int i = 0; i < GroupHeader.MAX_RECORDS; i++) {
            long at = pos + GroupHeader.BYTES + (long) i * RecordHeader.BYTES;
            if (at + RecordHeader.BYTES > Math.min(limit, Math.min(firstPayload, pos + maxHeaderBlock))) {
                break;
            }
            BlockLocation loc = recordAt(at, Long.MAX_VALUE / 4);
            if (loc == null || loc.payloadOffset() < pos + GroupHeader.headerBlockLength(i + 1, alignment)
                    || loc.payloadOffset() < prevEnd) {
                continue;
            }
            Found f = verified(at, loc);
            out.add(f);
            firstPayload = Math.min(firstPayload, loc.payloadOffset());
            prevEnd = f.paddedEnd(alignment);
        }
        if (out.isEmpty()) {
            return null;
        }
        int headerBlock = (int) Math.min(SegmentLayout.alignDown(firstPayload - pos, alignment), maxHeaderBlock);
        return new Group(pos, headerBlock, prevEnd, out, false);
    }

    /** The first offset on the alignment at or after {@code from} where a group (or its first record header) checks out; else the limit. */
    private long resync(long from) throws IOException {
        for (long q = SegmentLayout.alignUp(from, alignment); q + GroupHeader.BYTES <= limit; q += alignment) {
            if (groupAt(q) != null) {
                return q;
            }
            BlockLocation first = q + GroupHeader.BYTES + RecordHeader.BYTES <= limit ? recordAt(q + GroupHeader.BYTES, Long.MAX_VALUE / 4)
                    : null;
            if (first != null && first.payloadOffset() >= q + GroupHeader.headerBlockLength(1, alignment)) {
                return q;
            }
        }
        return limit;
    }

    /** The location in the record header at {@code at}, if it checks out with its payload on the alignment; else null. */
    private BlockLocation recordAt(long at, long recordLimit) throws IOException {
        ByteBuffer b = bytes(at, RecordHeader.BYTES);
        if (b.remaining() < RecordHeader.BYTES) {
            return null;
        }
        try {
            BlockLocation loc = RecordHeader.decode(b, at, recordLimit).location(segmentId);
            return loc.payloadOffset() % alignment == 0 ? loc : null;
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    /** The record at {@code loc}, with its payload checked (one found by its header at {@code headerAt}). */
    private Found verified(long headerAt, BlockLocation loc) throws IOException {
        RecordHeader h = RecordHeader.decode(bytes(headerAt, RecordHeader.BYTES), headerAt, Long.MAX_VALUE / 4);
        SegmentFooter.Entry e = new SegmentFooter.Entry(h.key(), loc);
        if (loc.payloadOffset() + loc.storedLength() > limit) {
            return new Found(e, false);
        }
        try {
            SegmentReader.verify(loc, in.bytes(loc.payloadOffset(), loc.storedLength()));
            return new Found(e, true);
        } catch (CorruptRecordException ex) {
            return new Found(e, false);
        }
    }

    private long paddedEnd(BlockLocation loc) {
        return loc.payloadOffset() + SegmentLayout.alignUp(loc.storedLength(), alignment);
    }

    /** The file's bytes [off, off + len) as a little-endian buffer, shorter where the file ends first. */
    private ByteBuffer bytes(long off, int len) throws IOException {
        return in.bytes(off, len).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
