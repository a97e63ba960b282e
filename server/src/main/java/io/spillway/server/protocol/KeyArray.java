package io.spillway.server.protocol;

import java.util.Arrays;

/**
 * Keys as they travel: {@code count} 32-byte keys back to back. No per-key object exists until
 * the daemon derives the store's keys from them ({@code NamespaceKeys}).
 *
 * @param bytes exactly {@code count * 32} bytes
 */
public record KeyArray(byte[] bytes) {

    public KeyArray {
        if (bytes.length % Protocol.KEY_BYTES != 0) {
            throw new IllegalArgumentException("a key array is a multiple of 32 bytes, got " + bytes.length);
        }
    }

    public int count() {
        return bytes.length / Protocol.KEY_BYTES;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyArray k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "KeyArray[" + count() + " keys]";
    }
}
