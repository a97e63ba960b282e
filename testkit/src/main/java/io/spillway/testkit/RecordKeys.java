package io.spillway.testkit;

import io.spillway.segments.RecordKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Distinct format-level keys for tests below the engine (segments, index, recovery): the SHA-256
 * of a namespace and a number. They are not prefix chains; the engine's test fixture makes those.
 */
public final class RecordKeys {

    private RecordKeys() {
    }

    /** The key numbered {@code i} in {@code namespace}: the same on every run. */
    public static RecordKey key(String namespace, int i) {
        MessageDigest sha = sha256();
        sha.update(namespace.getBytes(StandardCharsets.UTF_8));
        sha.update(new byte[] {0, (byte) i, (byte) (i >> 8), (byte) (i >> 16), (byte) (i >> 24)});
        return RecordKey.of(sha.digest());
    }

    /** Keys 0 to {@code n - 1} of {@code namespace}. */
    public static List<RecordKey> keys(String namespace, int n) {
        List<RecordKey> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(key(namespace, i));
        }
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
