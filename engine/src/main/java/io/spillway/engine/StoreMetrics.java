package io.spillway.engine;

import io.spillway.engine.api.StoreStats;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The store's Micrometer meters, all named {@code spillway.*}. The registry is the caller's (to
 * export through Prometheus or JMX) or a private {@link SimpleMeterRegistry}.
 */
final class StoreMetrics {

    final MeterRegistry registry;
    final Counter dumpBlocks;
    final Counter dumpBytes;
    final Counter dumpDeduplicated;
    final Counter loadBlocks;
    final Counter loadBytes;
    final Counter lookupKeys;
    final Counter lookupHits;
    final Counter lookupMisses;
    final Counter loadMissing;
    final Counter corruptBlocks;
    final Counter busy;
    final Counter timeouts;
    final Counter ioErrors;
    final Counter storeFull;
    final Counter segmentsSealed;
    final Counter syncs;
    final Counter groupBytes;
    final Timer dumpLatency;
    final Timer loadLatency;
    final Timer lookupLatency;
    // The group commit's stages, so that where a dump's time goes can be read on any machine.
    final Timer groupWrite;
    final Timer groupOrdering;
    final Timer segmentSync;
    final Timer publish;

    StoreMetrics(MeterRegistry registry) {
        this.registry = registry;
        dumpBlocks = counter("spillway.dump.blocks", "blocks written by dumps");
        dumpBytes = counter("spillway.dump.bytes", "payload bytes written by dumps (before compression)");
        dumpDeduplicated = counter("spillway.dump.deduplicated", "dump blocks skipped: key present or in flight");
        loadBlocks = counter("spillway.load.blocks", "blocks delivered by loads");
        loadBytes = counter("spillway.load.bytes", "payload bytes delivered by loads");
        lookupKeys = counter("spillway.lookup.keys", "keys looked up");
        lookupHits = counter("spillway.lookup.hits", "lookup hits");
        lookupMisses = counter("spillway.lookup.misses", "lookup misses");
        loadMissing = counter("spillway.load.missing", "load blocks not found");
        corruptBlocks = counter("spillway.corrupt.blocks", "blocks that failed their checksum on load and were unindexed");
        busy = counter("spillway.busy", "tasks refused because the waiting queue was full");
        timeouts = counter("spillway.timeouts", "blocks that reached their task's deadline");
        ioErrors = counter("spillway.io.errors", "blocks failed by an IO error");
        storeFull = counter("spillway.store.full", "dump blocks refused for lack of space");
        segmentsSealed = counter("spillway.segments.sealed", "segments sealed");
        syncs = counter("spillway.syncs", "fdatasync calls on segments");
        groupBytes = counter("spillway.write.group.bytes", "bytes of the groups written into segments: headers, payloads, padding");
        dumpLatency = timer("spillway.dump.latency", "dump task latency, submission to completion");
        loadLatency = timer("spillway.load.latency", "load task latency, submission to completion");
        lookupLatency = timer("spillway.lookup.latency", "lookup call latency");
        groupWrite = timer("spillway.write.group.latency", "one group's write into its segment, start to end");
        groupOrdering = timer("spillway.write.group.ordering",
                "a written group waiting for the writes of the groups before it to end");
        segmentSync = timer("spillway.sync.latency", "one fdatasync of a segment");
        publish = timer("spillway.publish.latency", "one index batch of synced groups, with their blocks' completions");
    }

    static StoreMetrics create() {
        return new StoreMetrics(new SimpleMeterRegistry());
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    private Timer timer(String name, String description) {
        return Timer.builder(name).description(description).publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(5)).register(registry);
    }

    /** Counter values by short name, for {@link StoreStats}. */
    Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        registry.getMeters().forEach(meter -> {
            if (meter instanceof Counter c) {
                m.put(meter.getId().getName().substring("spillway.".length()), (long) c.count());
            }
        });
        return m;
    }

    /**
     * The group commit's stages for the close log, count and mean of each: "; group commit: 412
     * group writes of 1.8 MiB on average, 9.70 ms each; ...", or "" when nothing was written.
     * With a dump's wall time, Little's law gives the bytes its writes kept in flight: group
     * writes x bytes per group x time per write / wall time.
     */
    String stagesSummary() {
        long groups = groupWrite.count();
        if (groups == 0) {
            return "";
        }
        return String.format(Locale.ROOT,
                "; group commit: %d group writes of %.1f MiB on average, %.2f ms each; waiting for earlier writes %.2f ms; %d syncs, %.2f ms each; %d index batches, %.2f ms each",
                groups, groupBytes.count() / groups / (1 << 20), mean(groupWrite), mean(groupOrdering), segmentSync.count(), mean(segmentSync),
                publish.count(), mean(publish));
    }

    private static double mean(Timer t) {
        return t.count() == 0 ? 0 : t.mean(TimeUnit.MILLISECONDS);
    }

    /** p50 and p99 of a timer in milliseconds, for {@link StoreStats}. */
    static double[] percentilesMillis(Timer t) {
        double p50 = 0;
        double p99 = 0;
        for (var v : t.takeSnapshot().percentileValues()) {
            if (v.percentile() == 0.5) {
                p50 = v.value(TimeUnit.MILLISECONDS);
            } else if (v.percentile() == 0.99) {
                p99 = v.value(TimeUnit.MILLISECONDS);
            }
        }
        return new double[] {p50, p99};
    }
}
