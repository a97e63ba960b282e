package io.spillway.segments;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The 32-byte identity of a KV block: a SHA-256 prefix-chain hash.
 *
 * <p>{@link #chain} hashes the parent block's key, the block's token ids and a namespace, so a
 * key names the whole prefix up to and including its block. The hash is a pure function of its
 * inputs: no per-process seed (Python's {@code hash()} salting is why some connectors see "0%
 * hits" across processes), no platform byte order (tokens are encoded little-endian explicitly).
 *
 * <p>Keys compare as unsigned byte strings, the order RocksDB's default comparator uses.
 */
public final class BlockKey implements Comparable<BlockKey> {

    /** Key length in bytes. */
    public static final int BYTES = 32;

    /** The parent of the first block of every chain. */
    public static final BlockKey ROOT = new BlockKey(new byte[BYTES]);

    private static final byte[] DOMAIN = "spillway.block-chain.v1".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private BlockKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps a copy of exactly {@value #BYTES} bytes. */
    public static BlockKey of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a block key is " + BYTES + " bytes, got " + bytes.length);
        }
        return new BlockKey(bytes.clone());
    }

    /** Reads {@value #BYTES} bytes at {@code offset} of {@code src}. */
    public static BlockKey read(MemorySegment src, long offset) {
        byte[] b = new byte[BYTES];
        MemorySegment.copy(src, java.lang.foreign.ValueLayout.JAVA_BYTE, offset, b, 0, BYTES);
        return new BlockKey(b);
    }

    /** Parses 64 hex digits. */
    public static BlockKey fromHex(String hex) {
        Objects.requireNonNull(hex, "hex");
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a block key is " + 2 * BYTES + " hex digits, got " + hex.length() + ": '" + hex + "'");
        }
        try {
            return new BlockKey(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a hex block key: '" + hex + "'", e);
        }
    }

    /**
     * The key of the block that extends {@code parent} with {@code tokenIds}.
     *
     * <p>Encoding hashed, in order: the ASCII domain tag {@code spillway.block-chain.v1}; the
     * namespace as UTF-8 with a 4-byte little-endian length prefix; the parent's 32 bytes; the
     * token count and each token id as 4-byte little-endian integers. Length prefixes make the
     * encoding unambiguous, so distinct inputs never collide by concatenation.
     *
     * @param parent the previous block of the prefix, or {@link #ROOT} for the first block
     * @param tokenIds the token ids of this block (usually the engine's block size of them)
     * @param namespace what makes equal tokens incompatible KV: model, TP rank, dtype and so on;
     *     see {@link KeyNamespace}
     */
    public static BlockKey chain(BlockKey parent, int[] tokenIds, String namespace) {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(tokenIds, "tokenIds");
        Objects.requireNonNull(namespace, "namespace");
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(4 + ns.length + BYTES + 4 + 4 * tokenIds.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(ns.length).put(ns).put(parent.bytes).putInt(tokenIds.length);
        for (int t : tokenIds) {
            buf.putInt(t);
        }
        MessageDigest sha = sha256();
        sha.update(DOMAIN);
        sha.update(buf.array());
        return new BlockKey(sha.digest());
    }

    /** Keys of every block of a prompt, in order, each chained to the previous one. */
    public static BlockKey[] chainAll(int[] tokens, int blockTokens, String namespace) {
        if (blockTokens <= 0) {
            throw new IllegalArgumentException("blockTokens must be positive, got " + blockTokens);
        }
        int blocks = tokens.length / blockTokens;
        BlockKey[] keys = new BlockKey[blocks];
        BlockKey parent = ROOT;
        for (int i = 0; i < blocks; i++) {
            parent = chain(parent, Arrays.copyOfRange(tokens, i * blockTokens, (i + 1) * blockTokens), namespace);
            keys[i] = parent;
        }
        return keys;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

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
        MemorySegment.copy(bytes, 0, dst, java.lang.foreign.ValueLayout.JAVA_BYTE, offset, BYTES);
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
    public int compareTo(BlockKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockKey k && Arrays.equals(bytes, k.bytes);
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
