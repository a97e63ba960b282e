package io.spillway.segments;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The one encoder and decoder of a (key, {@link BlockLocation}) tuple, for every structure that
 * stores one: {@link RecordHeader}, the entries of {@link SegmentFooter} and {@link CommitLog},
 * and the index's value.
 *
 * <p>Why one codec with a field order, not one fixed layout: the four formats were written
 * before this class and place the same fields differently (the header puts codec and flags
 * before the key, the footer leaves the segment id implied, the index stores no key and no
 * reserved bytes). Their bytes must not change, so each structure declares its order once, as a
 * constant next to its format table, and this class does the rest the same way for all of them:
 * the little-endian widths, zero for reserved bytes, and the checks a decoded tuple must pass
 * before it becomes a {@code BlockLocation} (a known codec id, no negative field, payload lengths
 * within {@link RecordHeader#MAX_PAYLOAD}). Checks that depend on the structure (alignment,
 * bounds of the file) stay with the structure.
 *
 * <p>Thread-safe and immutable. Buffers are accessed by absolute index and must be
 * little-endian; their position is never moved.
 */
public final class KeyLocationCodec {

    /** A field of the tuple and its width in bytes. */
    public enum Field {
        /** The 32-byte record key. */
        KEY(RecordKey.BYTES),
        /** u64; structures inside one segment leave it out, and the decoder is told it. */
        SEGMENT_ID(8),
        /** u64 file offset of the payload. */
        PAYLOAD_OFFSET(8),
        /** u32 payload bytes on disk. */
        STORED_LENGTH(4),
        /** u32 payload bytes as dumped. */
        RAW_LENGTH(4),
        /** u32 CRC32C of the stored payload. */
        PAYLOAD_CRC(4),
        /** u8 {@link Codec#id()}. */
        CODEC(1),
        /** u8 {@link RecordFlags} bits. */
        FLAGS(1),
        /** u64 write time, ms since the epoch. */
        WRITE_TIME(8),
        /** Two reserved bytes: written as zero, never read. */
        RESERVED_U16(2),
        /** Four reserved bytes: written as zero, never read. */
        RESERVED_U32(4);

        private final int bytes;

        Field(int bytes) {
            this.bytes = bytes;
        }

        /** The field's width in bytes. */
        public int bytes() {
            return bytes;
        }
    }

    private static final Set<Field> OPTIONAL = EnumSet.of(Field.KEY, Field.SEGMENT_ID);
    private static final Set<Field> REPEATABLE = EnumSet.of(Field.RESERVED_U16, Field.RESERVED_U32);

    private final List<Field> order;
    /** Byte offset of each field in the tuple, by ordinal; -1 when absent (and for reserved fields). */
    private final int[] offsets = new int[Field.values().length];
    private final int bytes;

    private KeyLocationCodec(List<Field> order) {
        this.order = order;
        Arrays.fill(offsets, -1);
        int at = 0;
        for (Field f : order) {
            if (!REPEATABLE.contains(f)) {
                if (offsets[f.ordinal()] >= 0) {
                    throw new IllegalArgumentException("field " + f + " given twice in " + order);
                }
                offsets[f.ordinal()] = at;
            }
            at += f.bytes;
        }
        for (Field f : Field.values()) {
            if (offsets[f.ordinal()] < 0 && !OPTIONAL.contains(f) && !REPEATABLE.contains(f)) {
                throw new IllegalArgumentException("field " + f + " missing from " + order + " (only KEY and SEGMENT_ID may be left out)");
            }
        }
        this.bytes = at;
    }

    /**
     * A codec for tuples laid out as {@code order}, first field first, with no gaps.
     *
     * @throws IllegalArgumentException if a field other than {@link Field#KEY} and
     *     {@link Field#SEGMENT_ID} is missing, or a non-reserved field appears twice
     */
    public static KeyLocationCodec of(Field... order) {
        return new KeyLocationCodec(List.of(order));
    }

    /** The encoded tuple's length. */
    public int bytes() {
        return bytes;
    }

    /** Whether the tuple stores the key. */
    public boolean hasKey() {
        return offsets[Field.KEY.ordinal()] >= 0;
    }

    /**
     * Writes {@code key} and {@code loc} at index {@code at} of {@code dst}: exactly
     * {@link #bytes()} bytes, reserved ones zero.
     *
     * @param key the record's key; ignored (and may be null) when the tuple stores none
     * @param loc the location; its segment id is not written when the tuple stores none
     */
    public void encode(ByteBuffer dst, int at, RecordKey key, BlockLocation loc) {
        requireLittleEndian(dst);
        if (hasKey() && key == null) {
            throw new IllegalArgumentException("this tuple stores a key; got null");
        }
        int p = at;
        for (Field f : order) {
            switch (f) {
                case KEY -> dst.put(p, key.bytes);
                case SEGMENT_ID -> dst.putLong(p, loc.segmentId());
                case PAYLOAD_OFFSET -> dst.putLong(p, loc.payloadOffset());
                case STORED_LENGTH -> dst.putInt(p, loc.storedLength());
                case RAW_LENGTH -> dst.putInt(p, loc.rawLength());
                case PAYLOAD_CRC -> dst.putInt(p, loc.payloadCrc());
                case CODEC -> dst.put(p, (byte) loc.codec().id());
                case FLAGS -> dst.put(p, (byte) loc.flags());
                case WRITE_TIME -> dst.putLong(p, loc.writeTimeMillis());
                case RESERVED_U16 -> dst.putShort(p, (short) 0);
                case RESERVED_U32 -> dst.putInt(p, 0);
            }
            p += f.bytes;
        }
    }

    /** The key of the tuple at index {@code at} of {@code src}. */
    public RecordKey decodeKey(ByteBuffer src, int at) {
        if (!hasKey()) {
            throw new IllegalStateException("this tuple stores no key");
        }
        byte[] key = new byte[RecordKey.BYTES];
        src.get(at + offsets[Field.KEY.ordinal()], key);
        return new RecordKey(key);
    }

    /**
     * The location in the tuple at index {@code at} of {@code src}.
     *
     * @param segmentId the segment id when the tuple stores none (the structure is inside that
     *     segment); ignored otherwise
     * @param fileOffset where the tuple's structure is, for the exception (-1 if not in a file)
     * @throws CorruptRecordException on an unknown codec id, a negative segment id or offset, or a
     *     payload length outside 0 to {@link RecordHeader#MAX_PAYLOAD}
     */
    public BlockLocation decodeLocation(ByteBuffer src, int at, long segmentId, long fileOffset) throws CorruptRecordException {
        requireLittleEndian(src);
        int segmentAt = offsets[Field.SEGMENT_ID.ordinal()];
        long segment = segmentAt >= 0 ? src.getLong(at + segmentAt) : segmentId;
        long offset = src.getLong(at + offsets[Field.PAYLOAD_OFFSET.ordinal()]);
        int stored = src.getInt(at + offsets[Field.STORED_LENGTH.ordinal()]);
        int raw = src.getInt(at + offsets[Field.RAW_LENGTH.ordinal()]);
        int codecId = src.get(at + offsets[Field.CODEC.ordinal()]) & 0xff;
        Codec codec;
        try {
            codec = Codec.fromId(codecId);
        } catch (CorruptRecordException e) {
            throw new CorruptRecordException(fileOffset, e.getMessage());
        }
        if (segment < 0 || offset < 0) {
            throw new CorruptRecordException(fileOffset, "location out of range: segment " + segment + ", payload offset " + offset + " (negative)");
        }
        if (stored < 0 || stored > RecordHeader.MAX_PAYLOAD || raw < 0 || raw > RecordHeader.MAX_PAYLOAD) {
            throw new CorruptRecordException(fileOffset, "payload length out of range: stored " + stored + ", raw " + raw
                    + " (0 to " + RecordHeader.MAX_PAYLOAD + ")");
        }
        return new BlockLocation(segment, offset, stored, raw, src.getInt(at + offsets[Field.PAYLOAD_CRC.ordinal()]), codec,
                src.get(at + offsets[Field.FLAGS.ordinal()]) & 0xff, src.getLong(at + offsets[Field.WRITE_TIME.ordinal()]));
    }

    private static void requireLittleEndian(ByteBuffer b) {
        if (b.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("the on-disk formats are little-endian; got a " + b.order() + " buffer");
        }
    }

    @Override
    public String toString() {
        return "KeyLocationCodec" + order;
    }
}
