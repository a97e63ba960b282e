package io.spillway.segments.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Arithmetic and allocation for direct-IO alignment.
 *
 * <p>Why: O_DIRECT requires the buffer address, the file offset and the length to be multiples
 * of the device's logical block size; the store uses one alignment (4 KiB by default) for all
 * three so a record payload can be DMAed straight into aligned memory. Alignments are always
 * powers of two, which keeps the arithmetic to masks.
 */
public final class AlignedBuffers {

    private AlignedBuffers() {
    }

    /**
     * Allocates {@code size} bytes at an address that is a multiple of {@code alignment}.
     * The size is not rounded; pass an aligned size when the buffer is used for direct IO.
     */
    public static MemorySegment allocate(Arena arena, long size, int alignment) {
        requireAlignment(alignment);
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
        return arena.allocate(size, alignment);
    }

    /** The smallest multiple of {@code a} that is >= {@code v} ({@code v >= 0}). */
    public static long alignUp(long v, int a) {
        requireAlignment(a);
        if (v < 0) {
            throw new IllegalArgumentException("value must be >= 0, got " + v);
        }
        return Math.addExact(v, a - 1L) & -(long) a;
    }

    /** The largest multiple of {@code a} that is <= {@code v} ({@code v >= 0}). */
    public static long alignDown(long v, int a) {
        requireAlignment(a);
        if (v < 0) {
            throw new IllegalArgumentException("value must be >= 0, got " + v);
        }
        return v & -(long) a;
    }

    /** Whether {@code s} is native memory whose address and size are multiples of {@code a}. */
    public static boolean isAligned(MemorySegment s, int a) {
        requireAlignment(a);
        return s.isNative() && (s.address() & (a - 1L)) == 0 && (s.byteSize() & (a - 1L)) == 0;
    }

    /** Returns {@code a} if it is a positive power of two, else throws IllegalArgumentException. */
    public static int requireAlignment(int a) {
        if (a <= 0 || Integer.bitCount(a) != 1) {
            throw new IllegalArgumentException("alignment must be a positive power of two, got " + a);
        }
        return a;
    }
}
