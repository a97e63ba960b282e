package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Block content for the DRAM benchmarks: one random pattern of the block size, with each block's
 * key in its first 32 bytes, so every block differs and a check needs no copy of what was stored.
 */
final class KeyedPattern {

    private final MemorySegment pattern;

    KeyedPattern(Arena arena, long blockSize, long seed) {
        pattern = arena.allocate(blockSize, 4096);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= blockSize; i += 8) {
            pattern.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }

    /** Writes {@code key}'s block into {@code dst} (the block size). */
    void fill(MemorySegment dst, BlockKey key) {
        MemorySegment.copy(pattern, 0, dst, 0, pattern.byteSize());
        key.write(dst, 0);
    }

    /** Whether {@code m} holds exactly {@code key}'s block. */
    boolean matches(MemorySegment m, BlockKey key) {
        MemorySegment expected = MemorySegment.ofArray(key.toBytes());
        return m.asSlice(0, BlockKey.BYTES).mismatch(expected) == -1
                && m.asSlice(BlockKey.BYTES).mismatch(pattern.asSlice(BlockKey.BYTES)) == -1;
    }

    static BlockKey key(long seed, long i) {
        byte[] b = new byte[BlockKey.BYTES];
        new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i).nextBytes(b);
        return BlockKey.of(b);
    }
}
