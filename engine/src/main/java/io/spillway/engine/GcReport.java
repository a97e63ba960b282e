package io.spillway.engine;

import java.time.Duration;

/**
 * What one GC pass did.
 *
 * @param usedBefore segment bytes allocated on disk when the pass started
 * @param usedAfter and when it ended
 * @param evictedSegments segments deleted whole (capacity, TTL or compaction)
 * @param evictedBlocks index entries dropped with them (not reinserted or copied out)
 * @param evictedBytes their payload bytes
 * @param reinsertedBlocks hot blocks copied forward before their segment was evicted
 * @param compactedSegments sparse segments whose live blocks were copied out
 * @param copiedBlocks blocks copied by compaction
 * @param gcBytesWritten payload bytes the GC wrote (reinsertion plus compaction)
 * @param expiredBlocks blocks dropped for their age ({@code ttl})
 * @param elapsed how long the pass took
 */
public record GcReport(long usedBefore, long usedAfter, int evictedSegments, long evictedBlocks, long evictedBytes,
                       long reinsertedBlocks, int compactedSegments, long copiedBlocks, long gcBytesWritten,
                       long expiredBlocks, Duration elapsed) {
}
