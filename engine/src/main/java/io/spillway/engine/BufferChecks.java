package io.spillway.engine;

import io.spillway.engine.api.BlockBuffers;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.segments.RecordKey;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The argument checks of {@link BlockStore}'s calls: whatever is wrong is refused at once, in the
 * caller's thread, with an {@link IllegalArgumentException} (or a {@link NullPointerException}
 * for a null list) that says which element and what is allowed; a task is only made from valid
 * arguments. Every {@link BlockStore} of the engine takes them (the DRAM tier and the pipeline
 * too, through {@code engine.cache.BlockArgs}).
 */
public final class BufferChecks {

    private BufferChecks() {
    }

    /** Refuses null keys; returns them as the format layer's keys (an immutable copy of the list, not of the keys). */
    static List<RecordKey> keys(List<BlockKey> keys) {
        return Collections.unmodifiableList(BlockBuffers.keys(keys));
    }

    /**
     * Refuses a buffer list of another length than {@code keys}, a block without pieces or with a
     * null one, and a block outside {@link BlockStore#MIN_BLOCK_BYTES} to {@link
     * BlockStore#MAX_BLOCK_BYTES}.
     *
     * @return each block's size, the sum of its pieces
     */
    public static int[] sizes(List<? extends RecordKey> keys, List<List<MemorySegment>> buffers, String what) {
        Objects.requireNonNull(buffers, what);
        if (buffers.size() != keys.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + buffers.size() + " " + what);
        }
        int[] sizes = new int[keys.size()];
        for (int i = 0; i < buffers.size(); i++) {
            List<MemorySegment> pieces = buffers.get(i);
            if (pieces == null || pieces.isEmpty()) {
                throw new IllegalArgumentException(what + "[" + i + "] has no pieces");
            }
            long total = 0;
            for (MemorySegment p : pieces) {
                if (p == null) {
                    throw new IllegalArgumentException(what + "[" + i + "] has a null piece");
                }
                total += p.byteSize();
            }
            if (total < BlockStore.MIN_BLOCK_BYTES || total > BlockStore.MAX_BLOCK_BYTES) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + total + " bytes; a block is "
                        + BlockStore.MIN_BLOCK_BYTES + " bytes to 256 MiB");
            }
            sizes[i] = (int) total;
        }
        return sizes;
    }

    /**
     * The store's IO threads, not the caller's, copy from sources and into destinations: memory
     * confined to the caller's thread, or already freed, would fail there (a load could then never
     * complete), so it is refused here.
     *
     * @param ioThread one of the threads that will touch the buffers
     */
    public static void reachable(List<List<MemorySegment>> buffers, String what, Thread ioThread) {
        for (int i = 0; i < buffers.size(); i++) {
            for (MemorySegment p : buffers.get(i)) {
                if (!p.scope().isAlive()) {
                    throw new IllegalArgumentException(what + "[" + i + "] is freed (its arena is closed)");
                }
                if (!p.isAccessibleBy(ioThread)) {
                    throw new IllegalArgumentException(what + "[" + i + "] is confined to one thread and the store's IO threads"
                            + " cannot reach it; use a heap segment or memory from Arena.ofShared(), ofAuto() or global()");
                }
            }
        }
    }

    /** Refuses a read-only load destination. */
    public static void writable(List<List<MemorySegment>> destinations) {
        for (List<MemorySegment> d : destinations) {
            for (MemorySegment p : d) {
                if (p.isReadOnly()) {
                    throw new IllegalArgumentException("a load destination is read-only");
                }
            }
        }
    }

    /**
     * The checks every dump and load takes: non-null keys, one block of an allowed size per key,
     * buffers the store's IO threads can reach. The lists are copied (the caller may reuse its
     * own once the call returns).
     *
     * @param ioThread one of the threads that will touch the buffers
     */
    static CheckedBlocks blocks(List<BlockKey> keys, List<List<MemorySegment>> buffers, String what, Thread ioThread) {
        List<RecordKey> k = keys(keys);
        int[] sizes = sizes(k, buffers, what);
        reachable(buffers, what, ioThread);
        return new CheckedBlocks(k, List.copyOf(buffers.stream().map(List::copyOf).toList()), sizes);
    }
}
