package io.spillway.segments;

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

    /** One record of the segment. */
    public record Entry(RecordKey key, BlockLocation location) {
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
        b.position(HEADER_BYTES);
        for (Entry e : entries) {
            BlockLocation l = e.location();
            b.put(e.key().toBytes()).putLong(l.payloadOffset()).putInt(l.storedLength()).putInt(l.rawLength())
                    .putInt(l.payloadCrc()).put((byte) l.codec().id()).put((byte) l.flags()).putShort((short) 0)
                    .putLong(l.writeTimeMillis());
        }
        int bodyCrc = Checksums.crc32c(out, 0, HEADER_BYTES + entries.size() * ENTRY_BYTES);
        int t = len - TRAILER_BYTES;
        b.position(t);
        b.putInt(TRAILER_MAGIC).putInt(VERSION).putLong(segmentId).putLong(dataEnd).putLong(entries.size()).putInt(bodyCrc);
        b.putInt(t + 60, Checksums.crc32c(out, t, 60));
        return out;
    }

    /**
     * Decodes the trailer (the last {@value #TRAILER_BYTES} bytes of a file of {@code fileLength}).
     *
     * @return {@code [dataEnd, entryCount, bodyCrc]}
     */
    static long[] decodeTrailer(ByteBuffer trailer, long segmentId, long fileLength, int alignment) throws CorruptRecordException {
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
        return new long[] {dataEnd, count, b.getInt(32)};
    }

    /**
     * Decodes a footer from the bytes between {@code dataEnd} and the end of the file.
     *
     * @param body the bytes [dataEnd, fileLength), trailer included
     */
    static SegmentFooter decodeBody(ByteBuffer body, long segmentId, long dataEnd, long count, int bodyCrc, int alignment)
            throws CorruptRecordException {
        ByteBuffer b = body.slice().order(ByteOrder.LITTLE_ENDIAN);
        int bodyLen = Math.toIntExact(HEADER_BYTES + count * ENTRY_BYTES);
        CRC32C crc = new CRC32C();
        crc.update(b.slice(0, bodyLen));
        if ((int) crc.getValue() != bodyCrc) {
            throw new CorruptRecordException(dataEnd, "footer CRC mismatch");
        }
        if (b.getInt(0) != MAGIC || b.getInt(4) != VERSION || b.getLong(8) != segmentId || b.getLong(16) != dataEnd
                || b.getLong(24) != count) {
            throw new CorruptRecordException(dataEnd, "footer header disagrees with its trailer");
        }
        List<Entry> entries = new ArrayList<>((int) count);
        byte[] key = new byte[RecordKey.BYTES];
        for (int i = 0; i < count; i++) {
            int p = HEADER_BYTES + i * ENTRY_BYTES;
            long at = dataEnd + p;
            b.get(p, key);
            long off = b.getLong(p + 32);
            int stored = b.getInt(p + 40);
            int raw = b.getInt(p + 44);
            Codec codec;
            try {
                codec = Codec.fromId(b.get(p + 52) & 0xff);
            } catch (CorruptRecordException e) {
                throw new CorruptRecordException(at, e.getMessage());
            }
            if (stored < 0 || stored > RecordHeader.MAX_PAYLOAD || raw < 0 || raw > RecordHeader.MAX_PAYLOAD
                    || off < SegmentLayout.firstGroupOffset(alignment) || off % alignment != 0 || off > dataEnd - stored) {
                throw new CorruptRecordException(at, "footer entry " + i + " out of range: offset " + off + ", stored " + stored);
            }
            entries.add(new Entry(RecordKey.of(key), new BlockLocation(segmentId, off, stored, raw, b.getInt(p + 48), codec,
                    b.get(p + 53) & 0xff, b.getLong(p + 56))));
        }
        return new SegmentFooter(segmentId, dataEnd, entries);
    }
}
