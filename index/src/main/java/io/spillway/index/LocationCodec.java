package io.spillway.index;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The value stored per key in the {@code blocks} column family.
 *
 * <p>Format ({@value #BYTES} bytes, little-endian): u8 version (1), u64 segment id, u64 payload
 * offset, u32 stored length, u32 raw length, u32 payload CRC32C, u8 codec, u8 flags, u64 write
 * time (ms). The version byte lets a later format coexist with this one.
 */
final class LocationCodec {

    static final int BYTES = 39;
    private static final byte VERSION = 1;

    private LocationCodec() {
    }

    static byte[] encode(BlockLocation l) {
        byte[] out = new byte[BYTES];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).put(VERSION).putLong(l.segmentId()).putLong(l.payloadOffset())
                .putInt(l.storedLength()).putInt(l.rawLength()).putInt(l.payloadCrc()).put((byte) l.codec().id())
                .put((byte) l.flags()).putLong(l.writeTimeMillis());
        return out;
    }

    /** Decodes a value; an unreadable value is index corruption, reported as such. */
    static BlockLocation decode(byte[] v) throws CorruptRecordException {
        if (v == null || v.length != BYTES || v[0] != VERSION) {
            throw new CorruptRecordException(-1, "unreadable index value of " + (v == null ? "null" : v.length + " bytes"));
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        b.get();
        long seg = b.getLong();
        long off = b.getLong();
        int stored = b.getInt();
        int raw = b.getInt();
        int crc = b.getInt();
        Codec codec = Codec.fromId(b.get() & 0xff);
        int flags = b.get() & 0xff;
        long time = b.getLong();
        if (seg < 0 || off < 0 || stored < 0 || raw < 0) {
            throw new CorruptRecordException(-1, "index value out of range: segment " + seg + ", offset " + off);
        }
        return new BlockLocation(seg, off, stored, raw, crc, codec, flags, time);
    }
}
