package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out segment ids: a monotonic sequence, never a clock (design: do not trust wall clocks
 * or mtimes for ordering). The next id is persisted in the index when handed out, and at open the
 * sequence also starts past every id found on disk, so an id is never reused even if that write
 * was lost.
 */
final class SegmentIds {

    private final AtomicLong next;
    private final BlockIndex index;

    SegmentIds(BlockIndex index, long maxIdOnDisk) throws IOException {
        this.index = index;
        long persisted = index.getMeta(MetaKeys.NEXT_SEGMENT_ID).orElse(1L);
        this.next = new AtomicLong(Math.max(persisted, maxIdOnDisk + 1));
    }

    /** Moves the sequence up to at least {@code floor} (never down), persisting it; synchronized with {@link #next}. */
    synchronized void raiseTo(long floor) throws IOException {
        if (next.get() < floor) {
            next.set(floor);
            index.putMeta(MetaKeys.NEXT_SEGMENT_ID, floor);
        }
    }

    /**
     * The next id, with the id after it persisted before it is returned. Synchronized: with the
     * increment and the write apart, two writers could persist their ids out of order and leave
     * a smaller next id stored than an id on disk, which the next clean open takes for a stale
     * index (a full recovery instead of the fast path). A segment is created rarely, so the lock
     * costs nothing.
     */
    synchronized long next() throws IOException {
        long id = next.getAndIncrement();
        index.putMeta(MetaKeys.NEXT_SEGMENT_ID, id + 1);
        return id;
    }
}
