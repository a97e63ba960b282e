package io.spillway.cli;

import io.spillway.engine.api.BlockKey;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Deterministic block payloads derived from the key alone, so a load can be checked byte for byte
 * without keeping a copy of what was dumped: the bytes are a {@link SplittableRandom} stream seeded
 * with the key's first 8 bytes.
 */
public final class BlockContent {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private BlockContent() {
    }

    /** Fills all of {@code dst} with the content of {@code key}. */
    public static void fill(MemorySegment dst, BlockKey key) {
        SplittableRandom random = new SplittableRandom(seed(key));
        long size = dst.byteSize();
        long whole = size & ~7L;
        for (long off = 0; off < whole; off += 8) {
            dst.set(LONG, off, random.nextLong());
        }
        long last = random.nextLong();
        for (long off = whole; off < size; off++) {
            dst.set(ValueLayout.JAVA_BYTE, off, (byte) last);
            last >>>= 8;
        }
    }

    /**
     * Checks {@code src} against the content of {@code key}.
     *
     * @return the offset of the first differing byte, or -1 when every byte matches
     */
    public static long firstMismatch(MemorySegment src, BlockKey key) {
        SplittableRandom random = new SplittableRandom(seed(key));
        long size = src.byteSize();
        long whole = size & ~7L;
        for (long off = 0; off < whole; off += 8) {
            long expected = random.nextLong();
            long actual = src.get(LONG, off);
            if (actual != expected) {
                return off + Long.numberOfTrailingZeros(actual ^ expected) / 8;
            }
        }
        long last = random.nextLong();
        for (long off = whole; off < size; off++) {
            if (src.get(ValueLayout.JAVA_BYTE, off) != (byte) last) {
                return off;
            }
            last >>>= 8;
        }
        return -1;
    }

    /** The key's first 8 bytes, little-endian. */
    static long seed(BlockKey key) {
        byte[] b = key.toBytes();
        long seed = 0;
        for (int i = 7; i >= 0; i--) {
            seed = (seed << 8) | (b[i] & 0xFF);
        }
        return seed;
    }
}
