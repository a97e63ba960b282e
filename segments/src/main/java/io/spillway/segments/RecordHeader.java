package io.spillway.segments;

import io.spillway.segments.KeyLocationCodec.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The self-describing header of one record. Headers of a group sit together in the group's
 * header block (see {@link GroupHeader}); the payload they describe starts on the store's
 * alignment further on, so a load can DMA it straight into aligned memory.
 *
 * <p>Format ({@value #BYTES} bytes, little-endian):
 * <pre>
 *  0  u32   magic 'SPWR' (0x52575053 read little-endian)
 *  4  u8    format version (1)
 *  5  u8    record type (1 = data)
 *  6  u8    codec id ({@link Codec})
 *  7  u8    flags ({@link RecordFlags})
 *  8  [32]  block key
 * 40  u64   payload offset in the segment file (aligned)
 * 48  u32   stored payload length
 * 52  u32   raw payload length
 * 56  u32   CRC32C of the stored payload
 * 60  u32   reserved, zero
 * 64  u64   write time, ms since the epoch (TTL only; never used for ordering)
 * 72  [20]  reserved, zero
 * 92  u32   CRC32C of bytes [0, 92)
 * </pre>
 * A header of zeros (padding, a preallocated tail) fails the magic check, and random bytes fail
 * the header CRC, so padding can never pass for a header.
 */
public record RecordHeader(RecordKey key, long payloadOffset, int storedLength, int rawLength, int payloadCrc,
                           Codec codec, int flags, long writeTimeMillis) {

    /** Encoded size. */
    public static final int BYTES = 96;
    /** 'SPWR' in file order. */
    public static final int MAGIC = 0x52575053;
    public static final int VERSION = 1;
    static final int TYPE_DATA = 1;
    /** The largest payload a record may hold. */
    public static final int MAX_PAYLOAD = 256 << 20;
    /** Bytes 6 to 71 of the table above: the (key, location) tuple, without a segment id. */
    private static final KeyLocationCodec TUPLE = KeyLocationCodec.of(Field.CODEC, Field.FLAGS, Field.KEY, Field.PAYLOAD_OFFSET,
            Field.STORED_LENGTH, Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.RESERVED_U32, Field.WRITE_TIME);
    private static final int TUPLE_AT = 6;
    private static final int CRC_AT = 92;

    public RecordHeader {
        if (storedLength < 0 || storedLength > MAX_PAYLOAD || rawLength < 0 || rawLength > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload length out of range: stored " + storedLength + ", raw " + rawLength);
        }
    }

    /** The header of a record whose payload is at {@code loc}. */
    public static RecordHeader of(RecordKey key, BlockLocation loc) {
        return new RecordHeader(key, loc.payloadOffset(), loc.storedLength(), loc.rawLength(), loc.payloadCrc(),
                loc.codec(), loc.flags(), loc.writeTimeMillis());
    }

    /** Where this record's payload is, in segment {@code segmentId}. */
    public BlockLocation location(long segmentId) {
        return new BlockLocation(segmentId, payloadOffset, storedLength, rawLength, payloadCrc, codec, flags, writeTimeMillis);
    }

    /** Writes the encoded header at {@code buf}'s position, advancing it by {@value #BYTES}. */
    public void encode(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, MAGIC).put(4, (byte) VERSION).put(5, (byte) TYPE_DATA);
        // The header stores no segment id (it is inside its segment): any id serves the codec.
        TUPLE.encode(b, TUPLE_AT, key, location(0));
        b.put(TUPLE_AT + TUPLE.bytes(), new byte[CRC_AT - TUPLE_AT - TUPLE.bytes()]);
        b.putInt(CRC_AT, crcOf(b));
        buf.position(buf.position() + BYTES);
    }

    /**
     * Decodes the header at {@code buf}'s position and advances it.
     *
     * @param fileOffset where the header is in the file, for the exception and range checks
     * @param fileLimit payloads must end at or before this offset
     * @throws CorruptRecordException on a bad magic, version, type, codec, range or CRC
     */
    public static RecordHeader decode(ByteBuffer buf, long fileOffset, long fileLimit) throws CorruptRecordException {
        if (buf.remaining() < BYTES) {
            throw new CorruptRecordException(fileOffset, "record header truncated");
        }
        ByteBuffer b = buf.slice(buf.position(), BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + BYTES);
        if (b.getInt(0) != MAGIC) {
            throw new CorruptRecordException(fileOffset, String.format("bad record magic 0x%08x", b.getInt(0)));
        }
        int storedCrc = b.getInt(CRC_AT);
        int actual = crcOf(b);
        if (storedCrc != actual) {
            throw new CorruptRecordException(fileOffset, String.format("record header CRC mismatch: stored 0x%08x, computed 0x%08x", storedCrc, actual));
        }
        if (b.get(4) != VERSION) {
            throw new CorruptRecordException(fileOffset, "unsupported record version " + b.get(4));
        }
        if (b.get(5) != TYPE_DATA) {
            throw new CorruptRecordException(fileOffset, "unknown record type " + b.get(5));
        }
        BlockLocation loc = TUPLE.decodeLocation(b, TUPLE_AT, 0, fileOffset);
        if (loc.payloadOffset() <= fileOffset || loc.payloadOffset() > fileLimit - loc.storedLength()) {
            throw new CorruptRecordException(fileOffset, "record payload out of range: offset " + loc.payloadOffset()
                    + ", stored " + loc.storedLength() + ", raw " + loc.rawLength() + ", limit " + fileLimit);
        }
        return of(TUPLE.decodeKey(b, TUPLE_AT), loc);
    }

    private static int crcOf(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.slice(0, CRC_AT));
        return (int) crc.getValue();
    }
}
