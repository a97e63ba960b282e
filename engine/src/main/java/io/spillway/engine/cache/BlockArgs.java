package io.spillway.engine.cache;

import io.spillway.engine.BufferChecks;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The argument checks of {@link BlockStore}'s contract for the cache tier and the pipeline: what
 * is refused at once with an {@link IllegalArgumentException} that says what is wrong.
 */
final class BlockArgs {

    private BlockArgs() {
    }

    /**
     * Checks one buffer list per key, each of pieces adding up to a valid block size, alive and
     * reachable from {@code ioThread} (one of the threads that do the copies); for destinations,
     * writable: the segment store's checks ({@link BufferChecks}). Returns each block's size and
     * an immutable copy of the lists.
     */
    static Checked buffers(List<BlockKey> keys, List<List<MemorySegment>> buffers, String what, boolean destination,
                          Thread ioThread) {
        int[] sizes = BufferChecks.sizes(keys, buffers, what);
        BufferChecks.reachable(buffers, what, ioThread);
        if (destination) {
            BufferChecks.writable(buffers);
        }
        return new Checked(sizes, List.copyOf(buffers.stream().map(List::copyOf).toList()));
    }

    /** Block sizes and the buffers, checked. */
    record Checked(int[] sizes, List<List<MemorySegment>> buffers) {
    }
}
