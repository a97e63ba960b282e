package io.spillway.engine.api;

import io.spillway.segments.RecordKey;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The 32-byte identity of a KV block: a SHA-256 prefix-chain hash.
 *
 * <p>{@link #chain} hashes the parent block's key, the block's token ids and a namespace, so a
 * key names the whole prefix up to and including its block. The hash is a pure function of its
 * inputs: no per-process seed (Python's {@code hash()} salting is why some connectors see "0%
 * hits" across processes), no platform byte order (tokens are encoded little-endian explicitly).
 *
 * <p>Keys compare as unsigned byte strings, the order RocksDB's default comparator uses. A
 * {@code BlockKey} is the format layer's {@link RecordKey} with the hashing that makes keys; it
 * adds no state, so equal bytes are equal keys whichever of the two types holds them.
 */
public final class BlockKey extends RecordKey {

    /** The parent of the first block of every chain. */
    public static final BlockKey ROOT = new BlockKey(new byte[BYTES]);

    private static final byte[] DOMAIN = "spillway.block-chain.v1".getBytes(StandardCharsets.US_ASCII);

    private BlockKey(byte[] bytes) {
        super(bytes);
    }

    /** Wraps a copy of exactly {@value #BYTES} bytes. */
    public static BlockKey of(byte[] bytes) {
        return new BlockKey(RecordKey.of(bytes).toBytes());
    }

    /** The API key of the same bytes as a key read back from the format layer. */
    public static BlockKey of(RecordKey key) {
        return key instanceof BlockKey k ? k : new BlockKey(key.toBytes());
    }

    /** Parses 64 hex digits. */
    public static BlockKey fromHex(String hex) {
        return new BlockKey(RecordKey.fromHex(hex).toBytes());
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
}
