package io.spillway.testkit;

import io.spillway.segments.RecordKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Block bytes derived from their key, so a test verifies a load with no copy of what was dumped,
 * and buffers to load into. Every buffer is 4 KiB aligned: direct IO can use it as it is.
 */
public final class Payloads {

    /** The alignment of every buffer made here: the store's default record alignment. */
    public static final int ALIGNMENT = 4096;

    private Payloads() {
    }

    /** A fresh buffer of {@code size} bytes holding {@code key}'s content. */
    public static MemorySegment content(Arena arena, RecordKey key, int size) {
        MemorySegment m = arena.allocate(size, ALIGNMENT);
        fill(m, key);
        return m;
    }

    /** One {@link #content} buffer per key, in order. */
    public static List<MemorySegment> buffers(Arena arena, List<? extends RecordKey> keys, int size) {
        List<MemorySegment> out = new ArrayList<>(keys.size());
        for (RecordKey k : keys) {
            out.add(content(arena, k, size));
        }
        return out;
    }

    /** Overwrites {@code m} with {@code key}'s content: a seeded stream whose seed is the key's first 8 bytes. */
    public static void fill(MemorySegment m, RecordKey key) {
        SplittableRandom r = new SplittableRandom(MemorySegment.ofArray(key.toBytes()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        long n = m.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
        for (; i < n; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
    }

    /** Whether {@code m} holds exactly {@code key}'s content of its length. */
    public static boolean matches(MemorySegment m, RecordKey key) {
        MemorySegment expected = Arena.ofAuto().allocate(m.byteSize());
        fill(expected, key);
        return m.mismatch(expected) == -1;
    }

    /** {@code n} zeroed buffers of {@code size} bytes: destinations of loads. */
    public static List<MemorySegment> empty(Arena arena, int n, int size) {
        List<MemorySegment> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(arena.allocate(size, ALIGNMENT));
        }
        return out;
    }

    /** A buffer of {@code size} bytes, every byte {@code b}: a destination whose changes are visible. */
    public static MemorySegment patterned(Arena arena, int size, byte b) {
        MemorySegment m = arena.allocate(size, ALIGNMENT);
        m.fill(b);
        return m;
    }

    /** Whether every byte of {@code m} is still {@code b}. */
    public static boolean untouched(MemorySegment m, byte b) {
        for (long i = 0; i < m.byteSize(); i++) {
            if (m.get(ValueLayout.JAVA_BYTE, i) != b) {
                return false;
            }
        }
        return true;
    }
}
