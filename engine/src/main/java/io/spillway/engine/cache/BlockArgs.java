package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The argument checks of {@link BlockStore}'s contract for the cache tier and the pipeline: what
 * is refused at once with an {@link IllegalArgumentException} that says what is wrong.
 */
final class BlockArgs {

    private BlockArgs() {
    }

    static List<BlockKey> keys(List<BlockKey> keys) {
        Objects.requireNonNull(keys, "keys");
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i) == null) {
                throw new IllegalArgumentException("keys[" + i + "] is null");
            }
        }
        return List.copyOf(keys);
    }

    static List<List<MemorySegment>> singletons(List<MemorySegment> buffers, String what) {
        Objects.requireNonNull(buffers, what);
        List<List<MemorySegment>> out = new ArrayList<>(buffers.size());
        for (int i = 0; i < buffers.size(); i++) {
            if (buffers.get(i) == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            out.add(List.of(buffers.get(i)));
        }
        return out;
    }

    /**
     * Checks one buffer list per key, each of pieces adding up to a valid block size, alive and
     * reachable from {@code ioThread} (one of the threads that do the copies); for destinations,
     * writable. Returns each block's size and an immutable copy of the lists.
     */
    static Checked buffers(List<BlockKey> keys, List<List<MemorySegment>> buffers, String what, boolean destination,
                          Thread ioThread) {
        Objects.requireNonNull(buffers, what);
        if (buffers.size() != keys.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + buffers.size() + " " + what);
        }
        int[] sizes = new int[keys.size()];
        List<List<MemorySegment>> copy = new ArrayList<>(buffers.size());
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
                if (!p.scope().isAlive()) {
                    throw new IllegalArgumentException(what + "[" + i + "] is freed (its arena is closed)");
                }
                if (!p.isAccessibleBy(ioThread)) {
                    throw new IllegalArgumentException(what + "[" + i + "] is confined to one thread and the store's copy"
                            + " threads cannot reach it; use a heap segment or memory from Arena.ofShared(), ofAuto() or global()");
                }
                if (destination && p.isReadOnly()) {
                    throw new IllegalArgumentException(what + "[" + i + "] is read-only");
                }
                total += p.byteSize();
            }
            if (total < BlockStore.MIN_BLOCK_BYTES || total > BlockStore.MAX_BLOCK_BYTES) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + total + " bytes; a block is "
                        + BlockStore.MIN_BLOCK_BYTES + " bytes to 256 MiB");
            }
            sizes[i] = (int) total;
            copy.add(List.copyOf(pieces));
        }
        return new Checked(sizes, List.copyOf(copy));
    }

    /** Block sizes and the buffers, checked. */
    record Checked(int[] sizes, List<List<MemorySegment>> buffers) {
    }
}
