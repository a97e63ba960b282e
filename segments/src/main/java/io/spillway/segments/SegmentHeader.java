package io.spillway.segments;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first block of every segment file.
 *
 * <p>Format (first {@value #BYTES} bytes of an alignment-sized block, the rest zero):
 * <pre>
 *  0  u64  magic "SPILLSEG"
 *  8  u32  format version (1)
 * 12  u32  alignment of groups and payloads
 * 16  u64  segment id (monotonic sequence number; never a clock)
 * 24  u64  creation time, ms since the epoch (informational)
 * 32 [28]  reserved, zero
 * 60  u32  CRC32C of bytes [0, 60)
 * </pre>
 */
public record SegmentHeader(long segmentId, int alignment, long createdMillis) {

    public static final int BYTES = 64;
    public static final long MAGIC = 0x4745534c4c495053L; // "SPILLSEG" little-endian
    public static final int VERSION = 1;

    /** Encodes into a new zeroed heap buffer of {@code alignment} bytes. */
    public byte[] encodeBlock() {
        byte[] block = new byte[alignment];
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putInt(VERSION).putInt(alignment).putLong(segmentId).putLong(createdMillis);
        b.putInt(60, Checksums.crc32c(block, 0, 60));
        return block;
    }

    /** Decodes and checks the header read from offset 0 of a segment file. */
    public static SegmentHeader decode(ByteBuffer buf) throws CorruptRecordException {
        if (buf.remaining() < BYTES) {
            throw new CorruptRecordException(0, "segment header truncated: " + buf.remaining() + " bytes");
        }
        ByteBuffer b = buf.slice(buf.position(), BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC) {
            throw new CorruptRecordException(0, String.format("not a spillway segment: magic 0x%016x", b.getLong(0)));
        }
        byte[] head = new byte[60];
        b.get(0, head);
        int crc = Checksums.crc32c(head, 0, 60);
        if (b.getInt(60) != crc) {
            throw new CorruptRecordException(0, String.format("segment header CRC mismatch: stored 0x%08x, computed 0x%08x", b.getInt(60), crc));
        }
        if (b.getInt(8) != VERSION) {
            throw new CorruptRecordException(0, "unsupported segment version " + b.getInt(8));
        }
        int alignment = b.getInt(12);
        if (alignment < 512 || Integer.bitCount(alignment) != 1) {
            throw new CorruptRecordException(0, "bad segment alignment " + alignment);
        }
        return new SegmentHeader(b.getLong(16), alignment, b.getLong(24));
    }
}
