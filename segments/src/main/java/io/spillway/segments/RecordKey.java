package io.spillway.segments;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The 32-byte key of a record, as the on-disk formats and the index store it.
 *
 * <p>The public API's {@code io.spillway.engine.api.RecordKey} extends this class with the
 * prefix-chain hash that makes keys; it adds no state, so a {@code RecordKey} and a
 * {@code RecordKey} of equal bytes are equal, and lists of API keys pass into the lower layers
 * without a per-key copy. Only that subclass may extend it.
 *
 * <p>Keys compare as unsigned byte strings, the order RocksDB's default comparator uses.
 */
public class RecordKey implements Comparable<RecordKey> {

    /** Key length in bytes. */
    public static final int BYTES = 32;

    private static final HexFormat HEX = HexFormat.of();

    /** Never changed after construction; visible to the API subclass, which hashes it into children. */
    protected final byte[] bytes;
    private final int hash;

    protected RecordKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps a copy of exactly {@value #BYTES} bytes. */
    public static RecordKey of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a block key is " + BYTES + " bytes, got " + bytes.length);
        }
        return new RecordKey(bytes.clone());
    }

    /** Reads {@value #BYTES} bytes at {@code offset} of {@code src}. */
    public static RecordKey read(MemorySegment src, long offset) {
        byte[] b = new byte[BYTES];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, b, 0, BYTES);
        return new RecordKey(b);
    }

    /** Parses 64 hex digits. */
    public static RecordKey fromHex(String hex) {
        Objects.requireNonNull(hex, "hex");
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a block key is " + 2 * BYTES + " hex digits, got " + hex.length() + ": '" + hex + "'");
        }
        try {
            return new RecordKey(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a hex block key: '" + hex + "'", e);
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** The key's {@code i}-th 8-byte word (0 to 3), little-endian: for hash tables, without a copy. */
    public long word(int i) {
        return (long) LONGS.get(bytes, i * 8);
    }

    /** A copy of the 32 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Writes the 32 bytes at {@code offset} of {@code dst}. */
    public void write(MemorySegment dst, long offset) {
        MemorySegment.copy(bytes, 0, dst, ValueLayout.JAVA_BYTE, offset, BYTES);
    }

    /** Writes the 32 bytes at {@code offset} of {@code dst}. */
    public void write(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, BYTES);
    }

    /** 64 lowercase hex digits. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 12 hex digits: enough to tell keys apart in logs. */
    public String shortHex() {
        return toHex().substring(0, 12);
    }

    @Override
    public int compareTo(RecordKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return toHex();
    }
}
