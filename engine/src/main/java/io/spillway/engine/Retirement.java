package io.spillway.engine;

import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The end of a writer's segment, shared by append workers and the GC's writer. */
final class Retirement {

    private static final Logger LOG = LoggerFactory.getLogger(Retirement.class);

    private Retirement() {
    }

    /**
     * Seals {@code s} with its footer's liveness, and registers it sealed.
     *
     * @param live from {@code index.pointsAt(s.entries())}, taken by the caller under whatever
     *     guard it needs
     */
    static void seal(StoreContext ctx, SegmentWriter s, boolean[] live) throws IOException {
        s.seal(live);
        ctx.catalog().sealed(s.segmentId());
        ctx.metrics().segmentsSealed.increment();
        LOG.debug("sealed segment {} ({} records, {} bytes)", s.segmentId(), s.recordCount(), s.position());
    }

    /** Deletes a segment that holds no record, and forgets it. */
    static void discardEmpty(StoreContext ctx, Backend backend, SegmentWriter s) throws IOException {
        s.close();
        backend.io().delete(s.file());
        ctx.catalog().remove(s.segmentId());
    }

    /** Leaves a segment {@code .open} for the next open's recovery (a failed one, or one whose writer was stuck). */
    static void leaveToRecovery(StoreContext ctx, SegmentWriter s, String why) {
        ctx.catalog().markFailed(s.segmentId());
        try {
            // Its preallocation belonged to an active writer; it has none any more, so the space
            // bound gets it back (the catalog now counts the file as allocated).
            s.releaseReservation();
        } catch (IOException e) {
            LOG.warn("releasing the reserved space of segment {}: {}", s.segmentId(), e.getMessage());
        }
        try {
            s.close();
        } catch (IOException e) {
            LOG.warn("closing segment {}: {}", s.segmentId(), e.getMessage());
        }
        LOG.warn("segment {} is left open for recovery ({})", s.segmentId(), why);
    }
}
