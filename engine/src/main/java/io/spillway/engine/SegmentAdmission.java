package io.spillway.engine;

import io.spillway.segments.SegmentWriter;
import java.io.IOException;

/**
 * Whether a writer may start a new segment: the hook by which a shared store bounds the space of
 * many writers ({@code io.spillway.engine.shared.SpaceTickets}). A single-writer store admits
 * every segment (its capacity is checked against its own exact accounting).
 *
 * <p>A writer of segments calls, in order ({@link #create} does it): {@link #admit} with the new
 * segment's id before it creates the file; then {@link #created} once the file exists, or {@link
 * #abandoned} if it was not created after all. What releases an admitted segment's room later
 * (its file gone, by eviction or discard) is the implementation's business.
 */
public interface SegmentAdmission {

    /** Admits everything. */
    SegmentAdmission ALWAYS = new SegmentAdmission() {
        @Override
        public boolean admit(long segmentId) {
            return true;
        }

        @Override
        public void created(long segmentId) {
        }

        @Override
        public void abandoned(long segmentId) {
        }
    };

    /** Takes room for segment {@code segmentId}; false when there is none now (the dump is then STORE_FULL). */
    boolean admit(long segmentId) throws IOException;

    /** The admitted segment's file now exists. */
    void created(long segmentId);

    /** The admitted segment was not created: its room is given back now. */
    void abandoned(long segmentId);

    /** Creates a segment's file (and removes what a failed create left). */
    @FunctionalInterface
    interface Creation {
        SegmentWriter create() throws IOException;
    }

    /**
     * The calls in order, for every writer of segments (appenders and the GC): admits segment
     * {@code segmentId}, creates it, and tells {@link #created} or {@link #abandoned}.
     *
     * @param refusal the message of the {@code StoreFullException} thrown when it is not admitted
     */
    default SegmentWriter create(long segmentId, String refusal, Creation creation) throws IOException {
        if (!admit(segmentId)) {
            throw new StoreFullException(refusal);
        }
        SegmentWriter created;
        try {
            created = creation.create();
        } catch (IOException | RuntimeException e) {
            abandoned(segmentId);
            throw e;
        }
        created(segmentId);
        return created;
    }
}
