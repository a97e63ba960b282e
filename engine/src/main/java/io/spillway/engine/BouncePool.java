package io.spillway.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The aligned native buffers loads read into before a block is verified: at most
 * {@code capacity} chunks of {@code chunkBytes} each, allocated on first use and reused, so no
 * load pays for zero-filling fresh memory ({@code Arena.allocate} clears what it returns).
 *
 * <p>A block takes all its chunks at once or none ({@link #tryTake}): two blocks each holding
 * part of the pool while waiting for the rest would wait for ever. Thread-safe.
 */
final class BouncePool {

    private final int capacity;
    private final long chunkBytes;
    private final int alignment;
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
    private int allocated; // guarded by this
    private boolean closed; // guarded by this

    BouncePool(int capacity, long chunkBytes, int alignment) {
        if (capacity < 1) {
            throw new IllegalArgumentException("bounce pool capacity must be >= 1, got " + capacity);
        }
        if (chunkBytes < alignment || chunkBytes % alignment != 0) {
            throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes is not a multiple of the alignment " + alignment);
        }
        this.capacity = capacity;
        this.chunkBytes = chunkBytes;
        this.alignment = alignment;
    }

    int capacity() {
        return capacity;
    }

    long chunkBytes() {
        return chunkBytes;
    }

    /** {@code n} chunks (1 to {@link #capacity()}), or null when fewer are free now. */
    synchronized List<MemorySegment> tryTake(int n) {
        if (n < 1 || n > capacity) {
            throw new IllegalArgumentException("a block takes 1 to " + capacity + " chunks, asked " + n);
        }
        if (closed) {
            throw new IllegalStateException("the bounce pool is closed");
        }
        if (free.size() + (capacity - allocated) < n) {
            return null;
        }
        List<MemorySegment> out = new ArrayList<>(n);
        while (out.size() < n && !free.isEmpty()) {
            out.add(free.pop());
        }
        while (out.size() < n) {
            out.add(arena.allocate(chunkBytes, alignment));
            allocated++;
        }
        return out;
    }

    /** Returns chunks taken with {@link #tryTake}. */
    synchronized void give(List<MemorySegment> chunks) {
        for (MemorySegment c : chunks) {
            free.push(c);
        }
    }

    /** Chunks taken and not given back. */
    synchronized int inUse() {
        return allocated - free.size();
    }

    /** Frees the memory; only when no read can still write into it. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
