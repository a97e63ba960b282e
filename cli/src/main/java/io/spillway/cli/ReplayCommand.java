package io.spillway.cli;

import io.spillway.cli.bench.GcLatencyBenchmark;
import io.spillway.cli.bench.ReplayBenchmark;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.EvictionPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway gc-replay}: the GC's replay benchmark. A trace writing ten times the capacity,
 * with Zipf(0.9) reuse of prefixes over 2 MiB blocks, through a capacity-bounded store, and the
 * same trace through an exact LRU cache of the same capacity.
 */
@Command(name = "gc-replay", mixinStandardHelpOptions = true,
        description = "Replays a Zipf(0.9) prefix-reuse trace writing 10x the capacity through a bounded store; reports "
                + "peak space, write amplification and hit ratio against an exact LRU cache of the same capacity.")
final class ReplayCommand extends CliCommand {

    @Option(names = "--dir", paramLabel = "D", description = "Where to put the store (default: a temporary directory, deleted).")
    Path dir;

    @Option(names = "--capacity", paramLabel = "SIZE", defaultValue = "1GiB", converter = Units.ByteSizeConverter.class,
            description = "Store capacity (default: ${DEFAULT-VALUE}).")
    ByteSize capacity;

    @Option(names = "--segment-size", paramLabel = "SIZE", defaultValue = "64MiB", converter = Units.ByteSizeConverter.class,
            description = "Segment size (default: ${DEFAULT-VALUE}).")
    ByteSize segmentSize;

    @Option(names = "--write-factor", paramLabel = "N", defaultValue = "10", description = "Write N x capacity (default: ${DEFAULT-VALUE}).")
    long writeFactor;

    @Option(names = "--prefixes", paramLabel = "N", defaultValue = "320", description = "Distinct shared prefixes (default: ${DEFAULT-VALUE}).")
    int prefixes;

    @Option(names = "--policy", paramLabel = "P", defaultValue = "lru",
            description = "Eviction policy of the replayed store: lru or fifo (default: ${DEFAULT-VALUE}; the store itself defaults to fifo).")
    String policy;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Trace seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--latency", description = "Instead of the replay, measure single-block load p50/p99 with the store "
            + "idle and during a throttled compaction pass (gc_max_bytes_per_sec).")
    boolean latency;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ReplayBenchmark.Trace base = ReplayBenchmark.Trace.defaults();
        ReplayBenchmark.Trace trace = new ReplayBenchmark.Trace(capacity.bytes(), base.blockBytes(), prefixes, base.prefixBlocks(),
                base.suffixBlocks(), base.zipf(), writeFactor, seed);
        PrintWriter out = out();
        try (ScratchDir scratch = ScratchDir.create(dir, "replay")) {
            return latency ? latency(out, scratch.work()) : replay(out, scratch.work(), trace);
        }
    }

    private int latency(PrintWriter out, Path work) throws IOException, InterruptedException {
        var r = GcLatencyBenchmark.run(work, config.load().segmentSize(segmentSize), 1536, 2 << 20);
        out.printf(Locale.ROOT, "load latency idle: p50 %.2f ms, p99 %.2f ms%n", r.p50Idle(), r.p99Idle());
        out.printf(Locale.ROOT, "load latency during GC: p50 %.2f ms, p99 %.2f ms over %d loads (p99 ratio %.2f)%n",
                r.p50Gc(), r.p99Gc(), r.loadsDuringGc(), r.p99Gc() / r.p99Idle());
        out.printf(Locale.ROOT, "meanwhile the GC compacted %d segments, copying %d blocks (%.0f MiB) in %.1f s%n",
                r.gc().compactedSegments(), r.gc().copiedBlocks(), r.gc().bytesWritten() / (double) (1 << 20), r.gc().seconds());
        out.flush();
        return 0;
    }

    private int replay(PrintWriter out, Path work, ReplayBenchmark.Trace trace) throws IOException, InterruptedException {
        ReplayBenchmark.Result r;
        long total = writeFactor * capacity.bytes();
        try (ProgressBar bar = Progress.bar("replay", total >> 20, " MiB", 1)) {
            r = ReplayBenchmark.run(work, trace,
                    config.load().segmentSize(segmentSize).evictionPolicy(EvictionPolicy.parse(policy)),
                    written -> bar.stepTo(written >> 20));
        }
        out.printf(Locale.ROOT, "replay: %d requests, %s written by users in %.1f s (%s policy)%n", r.requests(),
                Units.bytes(r.userBytesWritten()), r.seconds(), policy);
        out.printf(Locale.ROOT, "peak space %s, capacity %s, allowed %s (capacity + one segment per writer): %s%n",
                Units.bytes(r.peakUsedBytes()), Units.bytes(r.capacityBytes()), Units.bytes(r.allowedPeak()),
                r.peakUsedBytes() <= r.allowedPeak() ? "within" : "OVER");
        out.printf(Locale.ROOT, "write amplification %.3f (GC wrote %s)%n", r.writeAmplification(), Units.bytes(r.gcBytesWritten()));
        out.printf(Locale.ROOT, "hit ratio %.3f, exact LRU %.3f: %.1f%% of LRU%n", r.hitRatio(), r.lruHitRatio(),
                100 * r.hitRatio() / r.lruHitRatio());
        out.printf(Locale.ROOT, "loads that returned wrong bytes or an error: %d%n", r.badLoads());
        out.flush();
        return r.badLoads() == 0 ? 0 : 1;
    }
}
