package io.spillway.engine;

import io.spillway.segments.RecordKey;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The blocks of one dump or load call once {@link BufferChecks} accepted them: what a task is
 * made from.
 *
 * @param keys the blocks' keys, an immutable list
 * @param buffers each block's pieces (sources or destinations), immutable lists
 * @param sizes each block's size in bytes, the sum of its pieces (not copied: the array is only
 *     read, by the task's dispatcher)
 */
record CheckedBlocks(List<RecordKey> keys, List<List<MemorySegment>> buffers, int[] sizes) {

    int size() {
        return keys.size();
    }
}
