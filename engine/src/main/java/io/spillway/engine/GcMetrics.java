package io.spillway.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/**
 * The GC's meters: {@code spillway.gc.*} counters, plus gauges of space used and write
 * amplification (payload bytes written by users and the GC, over those written by users).
 */
final class GcMetrics {

    final Counter evictedSegments;
    final Counter evictedBlocks;
    final Counter evictedBytes;
    final Counter reinsertedBlocks;
    final Counter compactedSegments;
    final Counter copiedBlocks;
    final Counter bytesWritten;
    final Counter expiredBlocks;

    GcMetrics(StoreContext ctx) {
        MeterRegistry r = ctx.metrics().registry;
        evictedSegments = Counter.builder("spillway.gc.evicted.segments").description("segments evicted whole").register(r);
        evictedBlocks = Counter.builder("spillway.gc.evicted.blocks").description("blocks dropped by eviction").register(r);
        evictedBytes = Counter.builder("spillway.gc.evicted.bytes").description("payload bytes dropped by eviction").register(r);
        reinsertedBlocks = Counter.builder("spillway.gc.reinserted.blocks").description("hot blocks copied forward").register(r);
        compactedSegments = Counter.builder("spillway.gc.compacted.segments").description("sparse segments compacted").register(r);
        copiedBlocks = Counter.builder("spillway.gc.compacted.blocks").description("live blocks copied out by compaction").register(r);
        bytesWritten = Counter.builder("spillway.gc.bytes.written").description("payload bytes written by the GC").register(r);
        expiredBlocks = Counter.builder("spillway.gc.expired.blocks").description("blocks dropped for their age (ttl)").register(r);
        Gauge.builder("spillway.space.used", ctx.catalog(), SegmentCatalog::allocatedBytes).baseUnit("bytes")
                .description("disk space allocated to segments").register(r);
        Counter userBytes = ctx.metrics().dumpBytes;
        Gauge.builder("spillway.write.amplification",
                        () -> userBytes.count() == 0 ? 1 : (userBytes.count() + bytesWritten.count()) / userBytes.count())
                .description("payload bytes written (users plus GC) / user payload bytes written").register(r);
    }

    /** Counter values at a point in time, to report one pass. */
    record Snapshot(double evictedSegments, double evictedBlocks, double evictedBytes, double reinserted, double compacted,
                    double copied, double written, double expired) {
    }

    Snapshot snapshot() {
        return new Snapshot(evictedSegments.count(), evictedBlocks.count(), evictedBytes.count(), reinsertedBlocks.count(),
                compactedSegments.count(), copiedBlocks.count(), bytesWritten.count(), expiredBlocks.count());
    }

    GcReport report(Snapshot b, long usedBefore, long usedAfter, Duration elapsed) {
        Snapshot a = snapshot();
        return new GcReport(usedBefore, usedAfter, (int) (a.evictedSegments() - b.evictedSegments()),
                (long) (a.evictedBlocks() - b.evictedBlocks()), (long) (a.evictedBytes() - b.evictedBytes()),
                (long) (a.reinserted() - b.reinserted()), (int) (a.compacted() - b.compacted()), (long) (a.copied() - b.copied()),
                (long) (a.written() - b.written()), (long) (a.expired() - b.expired()), elapsed);
    }
}
