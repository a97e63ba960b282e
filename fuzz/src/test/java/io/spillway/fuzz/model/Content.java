package io.spillway.fuzz.model;

import io.spillway.engine.api.BlockKey;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Block bytes that name their own version: the first 8 bytes are the dump's generation, the
 * rest follow from the key and the generation. A load can then say not only "wrong bytes" but
 * which dump they came from (an older one, a rolled-back one, another key's).
 */
final class Content {

    private Content() {
    }

    static void fill(MemorySegment m, BlockKey key, long generation) {
        SplittableRandom r = new SplittableRandom(seed(key, generation));
        long n = m.byteSize();
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, generation);
        for (long i = 8; i + 8 <= n; i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }

    /** The generation the bytes claim to be. */
    static long generationOf(MemorySegment m) {
        return m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /** Whether {@code m} is exactly the content of {@code key}'s dump {@code generation}. */
    static boolean matches(MemorySegment m, BlockKey key, long generation) {
        if (generationOf(m) != generation) {
            return false;
        }
        SplittableRandom r = new SplittableRandom(seed(key, generation));
        long n = m.byteSize();
        for (long i = 8; i + 8 <= n; i += 8) {
            if (m.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != r.nextLong()) {
                return false;
            }
        }
        return true;
    }

    private static long seed(BlockKey key, long generation) {
        byte[] b = key.toBytes();
        return MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED, 0) * 0x9E3779B97F4A7C15L + generation;
    }
}
