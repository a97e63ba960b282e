package io.spillway.index;

/**
 * Per-segment accounting kept in the index: what was written and what is still live. The GC
 * picks victims from these figures without reading any segment.
 *
 * @param segmentId the segment
 * @param bytes payload bytes ever indexed in the segment
 * @param liveBytes payload bytes still pointed at by the index
 * @param records records ever indexed in the segment
 * @param liveRecords records still pointed at by the index
 */
public record SegmentStats(long segmentId, long bytes, long liveBytes, long records, long liveRecords) {

    /** Live fraction of bytes, 1 for an empty segment. */
    public double liveRatio() {
        return bytes == 0 ? 1.0 : (double) liveBytes / bytes;
    }
}
