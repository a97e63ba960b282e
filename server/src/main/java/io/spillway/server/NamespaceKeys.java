package io.spillway.server;

import io.spillway.engine.api.BlockKey;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Derives the store's key of a client's key within the client's namespace, so that keys of
 * different namespaces never collide however the engines make them:
 * <pre>
 *   stored = SHA-256( TAG || SHA-256(utf8(namespace)) || key )
 * </pre>
 * where TAG is the ASCII {@code spillway.namespaced-key.v1} padded with zero bytes to 32 and
 * {@code key} is the client's 32 bytes: 96 bytes in, two SHA-256 compressions per key.
 *
 * <p>Why a hash and not an XOR with a namespace hash (which would be cheaper): an XOR keeps
 * algebraic relations between the inputs, so keys that an engine derives from its own namespace
 * string could cancel it out; a hash leaves nothing of the sort. Namespaces separate, they do not
 * authenticate: any client may state any namespace, which is how two engines of one model share
 * blocks. One instance per connection (not thread-safe: it reuses its digest).
 */
final class NamespaceKeys {

    static final byte[] TAG = Arrays.copyOf("spillway.namespaced-key.v1".getBytes(StandardCharsets.US_ASCII), 32);

    private final String namespace;
    private final byte[] prefix;
    private final MessageDigest sha = sha256();
    private final byte[] out = new byte[32];

    NamespaceKeys(String namespace) {
        this.namespace = namespace;
        byte[] nsHash = sha256().digest(namespace.getBytes(StandardCharsets.UTF_8));
        prefix = new byte[64];
        System.arraycopy(TAG, 0, prefix, 0, 32);
        System.arraycopy(nsHash, 0, prefix, 32, 32);
    }

    String namespace() {
        return namespace;
    }

    /** The store's keys of the client's {@code keys}, in order. */
    List<BlockKey> keys(KeyArray keys) {
        byte[] raw = keys.bytes();
        int n = keys.count();
        List<BlockKey> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            result.add(key(raw, i * Protocol.KEY_BYTES));
        }
        return result;
    }

    /** The store's key of the 32 bytes at {@code raw[offset]}. */
    BlockKey key(byte[] raw, int offset) {
        sha.update(prefix);
        sha.update(raw, offset, Protocol.KEY_BYTES);
        try {
            sha.digest(out, 0, out.length);
        } catch (DigestException e) {
            throw new AssertionError("a 32-byte buffer holds a SHA-256 digest", e);
        }
        return BlockKey.of(out);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }
}
