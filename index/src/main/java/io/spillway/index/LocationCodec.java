package io.spillway.index;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.KeyLocationCodec;
import io.spillway.segments.KeyLocationCodec.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The value stored per key in the {@code blocks} column family.
 *
 * <p>Format (39 bytes, little-endian): u8 version (1), u64 segment id, u64 payload
 * offset, u32 stored length, u32 raw length, u32 payload CRC32C, u8 codec, u8 flags, u64 write
 * time (ms). The version byte lets a later format coexist with this one. The key is RocksDB's
 * key, so the tuple after the version byte stores none; it is encoded by the segments' shared
 * {@link KeyLocationCodec}.
 */
final class LocationCodec {

    private static final byte VERSION = 1;
    private static final KeyLocationCodec TUPLE = KeyLocationCodec.of(Field.SEGMENT_ID, Field.PAYLOAD_OFFSET,
            Field.STORED_LENGTH, Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.WRITE_TIME);
    /** 39: the version byte and the tuple. */
    static final int BYTES = 1 + TUPLE.bytes();

    private LocationCodec() {
    }

    static byte[] encode(BlockLocation l) {
        byte[] out = new byte[BYTES];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, VERSION);
        TUPLE.encode(b, 1, null, l);
        return out;
    }

    /** Decodes a value; an unreadable value is index corruption, reported as such. */
    static BlockLocation decode(byte[] v) throws CorruptRecordException {
        if (v == null || v.length != BYTES || v[0] != VERSION) {
            throw new CorruptRecordException(-1, "unreadable index value of " + (v == null ? "null" : v.length + " bytes"));
        }
        return TUPLE.decodeLocation(ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN), 1, -1, -1);
    }
}
