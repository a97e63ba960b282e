package io.spillway.segments;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The start of a record group: records that one writer appended with one write call.
 *
 * <p>A group is a header block followed by its payloads:
 * <pre>
 *  groupOffset                      (aligned)  GroupHeader, then count x RecordHeader,
 *                                              zero padding to the alignment
 *  groupOffset + headerBlockLength  (aligned)  payload 0, zero padding to the alignment
 *  ...                                         payload count-1, zero padding
 *  groupOffset + groupLength        (aligned)  the next group, or zeros (preallocated tail)
 * </pre>
 * Sharing one header block among the records of a group is what keeps the space overhead low:
 * a lone 64 KiB record pays a whole 4 KiB block for its header (6%), a group of 42 pays 0.15%.
 *
 * <p>Format ({@value #BYTES} bytes, little-endian):
 * <pre>
 *  0  u32  magic 'SPWG'
 *  4  u8   format version (1)
 *  5  u8   reserved, zero
 *  6  u16  record count (at least 1)
 *  8  u64  segment id (a group copied into another segment is detected)
 * 16  u64  group offset (a group found at another offset is detected)
 * 24  u64  group length, header block and padded payloads
 * 32  u32  header block length
 * 36 [24]  reserved, zero
 * 60  u32  CRC32C of bytes [0, 60)
 * </pre>
 */
public record GroupHeader(int count, long segmentId, long groupOffset, long groupLength, int headerBlockLength) {

    public static final int BYTES = 64;
    /** 'SPWG' in file order. */
    public static final int MAGIC = 0x47575053;
    public static final int VERSION = 1;
    /** Records per group; bounded so a header block stays small (at most 24 KiB). */
    public static final int MAX_RECORDS = 255;

    /** Bytes of the header block for {@code count} records at {@code alignment}. */
    public static int headerBlockLength(int count, int alignment) {
        return (int) SegmentLayout.alignUp(BYTES + (long) count * RecordHeader.BYTES, alignment);
    }

    /** Writes the encoded header at {@code buf}'s position, advancing it. */
    public void encode(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put((byte) VERSION).put((byte) 0).putShort((short) count);
        b.putLong(segmentId).putLong(groupOffset).putLong(groupLength).putInt(headerBlockLength);
        b.put(new byte[24]);
        // CRC over the slice itself, not b.array(): buf may be a direct buffer (no backing array).
        CRC32C crc = new CRC32C();
        crc.update(b.slice(0, 60));
        b.putInt((int) crc.getValue());
        buf.position(buf.position() + BYTES);
    }

    /**
     * Decodes a group header at {@code buf}'s position, checking it against where it was found.
     *
     * @return null if the bytes are all zero there (the end of written data); the caller decides
     *     whether zeros are allowed at that point
     * @throws CorruptRecordException if the bytes are neither zeros nor a valid header
     */
    public static GroupHeader decode(ByteBuffer buf, long expectedSegmentId, long fileOffset, long fileLimit, int alignment)
            throws CorruptRecordException {
        if (buf.remaining() < BYTES) {
            throw new CorruptRecordException(fileOffset, "group header truncated");
        }
        ByteBuffer b = buf.slice(buf.position(), BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + BYTES);
        if (isZero(b)) {
            return null;
        }
        if (b.getInt(0) != MAGIC) {
            throw new CorruptRecordException(fileOffset, String.format("bad group magic 0x%08x", b.getInt(0)));
        }
        byte[] head = new byte[60];
        b.get(0, head);
        int actual = Checksums.crc32c(head, 0, 60);
        if (b.getInt(60) != actual) {
            throw new CorruptRecordException(fileOffset, String.format("group header CRC mismatch: stored 0x%08x, computed 0x%08x", b.getInt(60), actual));
        }
        if (b.get(4) != VERSION) {
            throw new CorruptRecordException(fileOffset, "unsupported group version " + b.get(4));
        }
        int count = b.getShort(6) & 0xffff;
        long segmentId = b.getLong(8);
        long groupOffset = b.getLong(16);
        long groupLength = b.getLong(24);
        int headerBlockLength = b.getInt(32);
        if (segmentId != expectedSegmentId) {
            throw new CorruptRecordException(fileOffset, "group belongs to segment " + segmentId + ", not " + expectedSegmentId);
        }
        if (groupOffset != fileOffset) {
            throw new CorruptRecordException(fileOffset, "group claims offset " + groupOffset);
        }
        if (count < 1 || count > MAX_RECORDS || headerBlockLength != headerBlockLength(count, alignment)
                || groupLength < headerBlockLength || groupLength % alignment != 0 || groupLength > fileLimit - fileOffset) {
            throw new CorruptRecordException(fileOffset, "group fields out of range: count " + count + ", header block "
                    + headerBlockLength + ", length " + groupLength + ", limit " + fileLimit);
        }
        return new GroupHeader(count, segmentId, groupOffset, groupLength, headerBlockLength);
    }

    private static boolean isZero(ByteBuffer b) {
        for (int i = 0; i < BYTES; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
