package io.spillway.engine;

import io.spillway.segments.io.AnonymousMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aligned native buffers loads read into before a block is verified: at most
 * {@code capacity} chunks of {@code chunkBytes} each, reused.
 *
 * <p>The memory is one {@link AnonymousMemory} mapping (huge pages, so a 2 MiB chunk read is one
 * device request; zeroed lazily by the kernel, so capacity never touched costs no memory), or,
 * where this platform cannot map memory itself, chunks allocated from an arena on first use.
 *
 * <p>A block takes all its chunks at once or none ({@link #tryTake}): two blocks each holding
 * part of the pool while waiting for the rest would wait for ever. Thread-safe.
 */
final class BouncePool {

    private static final Logger LOG = LoggerFactory.getLogger(BouncePool.class);

    /** Memory of its own for one block larger than the whole pool, and how to free it. */
    record Own(List<MemorySegment> chunks, Runnable free) {
    }

    private final int capacity;
    private final long chunkBytes;
    private final int alignment;
    private final AnonymousMemory mapped; // null: chunks come from the arena
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
    private int created; // guarded by this
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
        this.mapped = mapOrNull(capacity * chunkBytes);
    }

    private static AnonymousMemory mapOrNull(long bytes) {
        if (AnonymousMemory.unavailableReason().isPresent()) {
            return null;
        }
        try {
            return AnonymousMemory.map(bytes);
        } catch (IOException e) {
            LOG.warn("mapping {} bytes of load buffers failed ({}); allocating them from an arena instead",
                    bytes, e.getMessage());
            return null;
        }
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
        if (free.size() + (capacity - created) < n) {
            return null;
        }
        List<MemorySegment> out = new ArrayList<>(n);
        while (out.size() < n && !free.isEmpty()) {
            out.add(free.pop());
        }
        while (out.size() < n) {
            out.add(mapped != null ? mapped.segment().asSlice(created * chunkBytes, chunkBytes) : arena.allocate(chunkBytes, alignment));
            created++;
        }
        return out;
    }

    /** Returns chunks taken with {@link #tryTake}. */
    synchronized void give(List<MemorySegment> chunks) {
        for (MemorySegment c : chunks) {
            free.push(c);
        }
    }

    /** {@code n} chunks outside the pool, for a block larger than all of it; free them with {@link Own#free()}. */
    Own own(int n) throws IOException {
        if (mapped == null) {
            Arena a = Arena.ofShared();
            MemorySegment all = a.allocate(n * chunkBytes, alignment);
            return new Own(slices(all, n), a::close);
        }
        AnonymousMemory m = AnonymousMemory.map(n * chunkBytes);
        return new Own(slices(m.segment(), n), m::close);
    }

    private List<MemorySegment> slices(MemorySegment all, int n) {
        List<MemorySegment> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            out.add(all.asSlice(k * chunkBytes, chunkBytes));
        }
        return out;
    }

    /** Frees the memory; only when no read can still write into it. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
            if (mapped != null) {
                mapped.close();
            }
        }
    }
}
