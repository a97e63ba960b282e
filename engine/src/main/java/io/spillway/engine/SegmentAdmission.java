package io.spillway.engine;

import java.io.IOException;

/**
 * Whether a writer may start a new segment: the hook by which a shared store bounds the space of
 * many writers ({@code io.spillway.engine.shared.SpaceTickets}). A single-writer store admits
 * every segment (its capacity is checked against its own exact accounting).
 *
 * <p>An append worker calls, in order: {@link #admit} with the new segment's id before it creates
 * the file; then {@link #created} once the file exists, or {@link #abandoned} if it was not
 * created after all. What releases an admitted segment's room later (its file gone, by eviction
 * or discard) is the implementation's business.
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
}
