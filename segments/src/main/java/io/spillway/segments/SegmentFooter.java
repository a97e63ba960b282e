package io.spillway.segments;

import io.spillway.segments.KeyLocationCodec.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The index of a sealed segment: one entry per record, so that rebuilding the store's index reads
 * footers only, never payloads.
 *
 * <p>Format, starting at {@code dataEnd} (the end of the last group, aligned):
 * <pre>
 * footer header, {@value #HEADER_BYTES} bytes:
 *  0  u32  magic 'SPWF'
 *  4  u32  format version (1)
 *  8  u64  segment id
 * 16  u64  dataEnd (this header's own offset)
 * 24  u64  entry count n
 * 32 [28]  reserved, zero
 * 60  u32  CRC32C of bytes [0, 60)
 * n entries, {@value #ENTRY_BYTES} bytes each:
 *  0 [32]  block key
 * 32  u64  payload offset
 * 40  u32  stored length
 * 44  u32  raw length
 * 48  u32  payload CRC32C
 * 52  u8   codec id
 * 53  u8   flags
 * 54  u16  reserved, zero
 * 56  u64  write time, ms
 * zero padding, then the trailer in the last {@value #TRAILER_BYTES} bytes of the file:
 *  0  u32  magic 'SPWT'
 *  4  u32  format version (1)
 *  8  u64  segment id
 * 16  u64  dataEnd
 * 24  u64  entry count n
 * 32  u32  CRC32C of the footer header and all entries
 * 36 [24]  reserved, zero
 * 60  u32  CRC32C of bytes [0, 60)
 * </pre>
 * A reader starts from the trailer, which sits at a position it can compute from the file length
 * alone, and never trusts a count before both CRCs pass.
 */
public record SegmentFooter(long segmentId, long dataEnd, List<Entry> entries) {

    public static final int HEADER_BYTES = 64;
    public static final int ENTRY_BYTES = 64;
    public static final int TRAILER_BYTES = 64;
    public static final int MAGIC = 0x46575053; // 'SPWF'
    public static final int TRAILER_MAGIC = 0x54575053; // 'SPWT'
    public static final int VERSION = 1;

    /** Bytes 0 to 63 of an entry in the table above; the segment id is the footer's. */
    private static final KeyLocationCodec ENTRY = KeyLocationCodec.of(Field.KEY, Field.PAYLOAD_OFFSET, Field.STORED_LENGTH,
            Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.RESERVED_U16, Field.WRITE_TIME);

    /** One record of the segment. */
    public record Entry(RecordKey key, BlockLocation location) {
    }

    /**
     * A trailer that passed its checks: where the footer starts, how many entries it lists, and
     * the CRC32C its header and entries must have.
     */
    record Trailer(long dataEnd, long entryCount, int bodyCrc) {
    }

    public SegmentFooter {
        entries = List.copyOf(entries);
    }

    /** {@code entries} with {@link RecordFlags#NOT_LIVE} set on those whose {@code live} bit is false. */
    public static List<Entry> markLiveness(List<Entry> entries, boolean[] live) {
        if (live.length != entries.size()) {
            throw new IllegalArgumentException(entries.size() + " entries but " + live.length + " liveness bits");
        }
        List<Entry> out = new ArrayList<>(entries.size());
        for (int i = 0; i < live.length; i++) {
            Entry e = entries.get(i);
            int flags = live[i] ? e.location().flags() & ~RecordFlags.NOT_LIVE : e.location().flags() | RecordFlags.NOT_LIVE;
            out.add(new Entry(e.key(), e.location().withFlags(flags)));
        }
        return out;
    }

    /** The entries a rebuilt index should hold: those without {@link RecordFlags#NOT_LIVE}. */
    public List<Entry> liveEntries() {
        return entries.stream().filter(e -> (e.location().flags() & RecordFlags.NOT_LIVE) == 0).toList();
    }

    /** The encoded footer, trailer included: exactly {@link SegmentLayout#footerLength} bytes. */
    public byte[] encode(int alignment) {
        int len = Math.toIntExact(SegmentLayout.footerLength(entries.size(), alignment));
        byte[] out = new byte[len];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putLong(segmentId).putLong(dataEnd).putLong(entries.size());
        b.putInt(60, Checksums.crc32c(out, 0, 60));
        for (int i = 0; i < entries.size(); i++) {
            ENTRY.encode(b, HEADER_BYTES + i * ENTRY_BYTES, entries.get(i).key(), entries.get(i).location());
        }
        int bodyCrc = Checksums.crc32c(out, 0, HEADER_BYTES + entries.size() * ENTRY_BYTES);
        int t = len - TRAILER_BYTES;
        b.position(t);
        b.putInt(TRAILER_MAGIC).putInt(VERSION).putLong(segmentId).putLong(dataEnd).putLong(entries.size()).putInt(bodyCrc);
        b.putInt(t + 60, Checksums.crc32c(out, t, 60));
        return out;
    }

    /** Decodes the trailer (the last {@value #TRAILER_BYTES} bytes of a file of {@code fileLength}). */
    static Trailer decodeTrailer(ByteBuffer trailer, long segmentId, long fileLength, int alignment) throws CorruptRecordException {
        long at = fileLength - TRAILER_BYTES;
        ByteBuffer b = trailer.slice(trailer.position(), TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != TRAILER_MAGIC) {
            throw new CorruptRecordException(at, String.format("no footer trailer (magic 0x%08x)", b.getInt(0)));
        }
        byte[] head = new byte[60];
        b.get(0, head);
        if (b.getInt(60) != Checksums.crc32c(head, 0, 60)) {
            throw new CorruptRecordException(at, "footer trailer CRC mismatch");
        }
        long dataEnd = b.getLong(16);
        long count = b.getLong(24);
        if (b.getInt(4) != VERSION || b.getLong(8) != segmentId || dataEnd < SegmentLayout.firstGroupOffset(alignment)
                || dataEnd % alignment != 0 || count < 0 || count > (fileLength - dataEnd) / ENTRY_BYTES
                || dataEnd + SegmentLayout.footerLength(count, alignment) != fileLength) {
            throw new CorruptRecordException(at, "footer trailer fields out of range: segment " + b.getLong(8)
                    + ", dataEnd " + dataEnd + ", entries " + count + ", file length " + fileLength);
        }
        return new Trailer(dataEnd, count, b.getInt(32));
    }

    /**
     * Decodes a footer from the bytes between {@code trailer.dataEnd()} and the end of the file.
     *
     * @param body the bytes [dataEnd, fileLength), trailer included
     * @param trailer what {@link #decodeTrailer} read from the same file
     */
    static SegmentFooter decodeBody(ByteBuffer body, long segmentId, Trailer trailer, int alignment) throws CorruptRecordException {
        ByteBuffer b = body.slice().order(ByteOrder.LITTLE_ENDIAN);
        long dataEnd = trailer.dataEnd();
        long count = trailer.entryCount();
        int bodyLen = Math.toIntExact(HEADER_BYTES + count * ENTRY_BYTES);
        CRC32C crc = new CRC32C();
        crc.update(b.slice(0, bodyLen));
        if ((int) crc.getValue() != trailer.bodyCrc()) {
            throw new CorruptRecordException(dataEnd, "footer CRC mismatch");
        }
        if (b.getInt(0) != MAGIC || b.getInt(4) != VERSION || b.getLong(8) != segmentId || b.getLong(16) != dataEnd
                || b.getLong(24) != count) {
            throw new CorruptRecordException(dataEnd, "footer header disagrees with its trailer");
        }
        List<Entry> entries = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int p = HEADER_BYTES + i * ENTRY_BYTES;
            long at = dataEnd + p;
            BlockLocation loc = ENTRY.decodeLocation(b, p, segmentId, at);
            long off = loc.payloadOffset();
            if (off < SegmentLayout.firstGroupOffset(alignment) || off % alignment != 0 || off > dataEnd - loc.storedLength()) {
                throw new CorruptRecordException(at, "footer entry " + i + " out of range: offset " + off + ", stored "
                        + loc.storedLength());
            }
            entries.add(new Entry(ENTRY.decodeKey(b, p), loc));
        }
        return new SegmentFooter(segmentId, dataEnd, entries);
    }
}
