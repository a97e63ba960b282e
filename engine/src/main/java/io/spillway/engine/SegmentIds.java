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

    long next() throws IOException {
        long id = next.getAndIncrement();
        index.putMeta(MetaKeys.NEXT_SEGMENT_ID, id + 1);
        return id;
    }
}
