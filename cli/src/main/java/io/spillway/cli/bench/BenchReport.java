package io.spillway.cli.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything {@code spillway bench} measured, as written by {@code --json}: the machine and
 * settings, then per block size each target's dump, load and mixed figures, fio's figures and
 * the ratios ({@code sizes}: medians over {@code --runs}, see {@link Medians}; {@code runs}:
 * every run's own figures), then the lookup figures. Rates are decimal GB/s; times are milliseconds; a figure
 * that was not measured is {@code null}.
 */
@JsonPropertyOrder(alphabetic = false)
public record BenchReport(int schemaVersion, String date, String command, Machine machine, Settings settings,
                          String pageCache, String fio, List<SizeResult> sizes, List<List<SizeResult>> runs,
                          LookupResult lookup, List<String> notes, CacheBenchReport cache) {

    /**
     * 2: {@code settings.durability} lists every measured mode, and several Spillway targets key
     * their ratios by id. 3: {@code cache}, the DRAM tier's figures (null unless the cache
     * workload ran). 4: {@code settings.store}, the store configuration. 5: loads run
     * {@code settings.loadPasses} passes, every phase lists its {@code passes}, and fio's random
     * reads are timed after a warm-up ({@code settings.fioReadRampSeconds}). 6:
     * {@code settings.warmup}, whether an untimed round warmed the JVM before run 1. 7: fio's
     * random reads are timed on a second pass after an untimed one ({@code
     * settings.fioReadWarmPass}) instead of after a time-based warm-up.
     */
    public static final int SCHEMA_VERSION = 7;

    /** Where it ran. {@code loadAverage} is the 1-minute load when the run started (a noisy machine shows here). */
    public record Machine(String os, String kernel, int cores, long memoryBytes, String java, String dir, String fileSystem,
                          double loadAverage) {
    }

    /**
     * How it ran. {@code store}: every key of the configuration the Spillway targets start from
     * ({@code --config} and defaults, e.g. {@code load_queue_depth}), so that a figure can be
     * traced to the settings that made it; each target then sets its own directory and durability.
     * {@code loadPasses}: passes of each load phase ({@link Phase}). {@code fioReadWarmPass}:
     * whether each fio random read is timed on a second pass over its files, after an untimed one
     * (false: one pass, timed from its start).
     * {@code warmup}: whether every target but fio dumped and loaded once, untimed, before run 1.
     */
    public record Settings(int runs, int threads, long bytesPerSize, int batch, double mixedSeconds, double mixedLoadShare,
                           double zipfExponent, String durability, List<String> workloads, List<String> compare, boolean quick,
                           Map<String, String> store, int loadPasses, boolean fioReadWarmPass, boolean warmup) {
    }

    /**
     * One block size: per target id ({@code spillway}, or {@code spillway-<durability>} for each
     * of several modes; {@code file-per-block}, {@code file-per-block-fsync}, {@code rocksdb-blob}) and fio.
     */
    public record SizeResult(long blockSize, String blockSizeLabel, Map<String, TargetResult> targets, FioResult fio,
                             Map<String, Double> ratios) {
    }

    public record TargetResult(String label, String readPath, Phase dump, Phase load, Phase mixed) {
    }

    /**
     * One phase of one target. A load runs {@code --load-passes} times over the same blocks, the
     * page cache dropped before each pass; the phase is then the pass whose rate is the lower
     * median, with failures and mismatches summed over all passes, and {@code passes} lists every
     * pass's rate in order (the first one includes what a freshly opened store maps on first use;
     * see the README's Performance notes). A dump or a mixed phase is one pass.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Phase(long bytes, long blocks, long tasks, double seconds, double gbps, double p50Ms, double p99Ms,
                        long failed, long mismatches, List<Double> passes) {

        public static Phase of(PhaseResult r) {
            return r == null ? null : of(List.of(r));
        }

        /** The lower-median pass of {@code passes} (at least one), failures and mismatches summed ({@link Medians#lowerMedian}). */
        public static Phase of(List<PhaseResult> passes) {
            List<Phase> each = passes.stream().map(r -> new Phase(r.bytes(), r.blocks(), r.tasks(), r.wall().toNanos() / 1e9, round(r.gbps()),
                    r.p50().toNanos() / 1e6, r.p99().toNanos() / 1e6, r.failed(), r.mismatches(), List.of(round(r.gbps())))).toList();
            Phase m = Medians.lowerMedian(each);
            return new Phase(m.bytes(), m.blocks(), m.tasks(), m.seconds(), m.gbps(), m.p50Ms(), m.p99Ms(), m.failed(), m.mismatches(),
                    each.stream().map(Phase::gbps).toList());
        }
    }

    public record LookupResult(long indexedKeys, int chainLength, int iterations, double p50Ms, double p99Ms, double maxMs) {

        public static LookupResult of(LookupBenchmark.Result r) {
            return new LookupResult(r.indexedKeys(), r.chainLength(), r.iterations(), r.p50Micros() / 1000, r.p99Micros() / 1000,
                    r.maxMicros() / 1000);
        }

        /** The bench's line for it. */
        public String summary() {
            return String.format(Locale.ROOT, "lookupPrefix of %d keys against %,d indexed keys, %d calls: p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                    chainLength, indexedKeys, iterations, p50Ms, p99Ms, maxMs);
        }
    }

    /** Rounds a rate to 4 decimals, so the JSON stays readable. */
    static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    /** A size result with its ratios computed from the figures. */
    public static SizeResult sizeResult(long blockSize, String label, Map<String, TargetResult> targets, FioResult fio) {
        return new SizeResult(blockSize, label, targets, fio, Ratios.of(targets, fio));
    }

    /**
     * Ratio keys are "{@code <workload>/<peer>}", e.g. {@code load/rocksdb-blob}: Spillway's rate
     * over the peer's. Against fio: {@code dump/fio} (best write), {@code dump/fio-fsync} (best
     * write with {@code end_fsync=1}, the reference of a durable dump), {@code load/fio} (best
     * randread), and {@code dump/fio-psync}, {@code load/fio-psync} (the old one-request-per-job figures).
     *
     * <p>With several Spillway targets ({@code bench --durability none,batch}: ids
     * {@code spillway-none}, {@code spillway-batch}) each one's keys carry its id:
     * {@code spillway-batch:dump/fio-fsync}. Besides fio and the peers, a Spillway target is set
     * against the Spillway targets measured before it, so {@code spillway-batch:dump/spillway-none}
     * is what {@code batch} costs against {@code none}.
     */
    public static final class Ratios {
        private Ratios() {
        }

        /** {@code a / b}, or null when either is missing or {@code b} is not positive. */
        public static Double ratio(Double a, Double b) {
            if (a == null || b == null || !(b > 0) || a.isNaN()) {
                return null;
            }
            return Math.round(a / b * 1e4) / 1e4;
        }

        static Double rate(Phase p) {
            return p == null ? null : p.gbps();
        }

        /** The Spillway target a ratio key belongs to: its prefix before ':', else {@link SpillwayTarget#ID}. */
        public static String spillwayOf(String key) {
            int colon = key.indexOf(':');
            return colon < 0 ? SpillwayTarget.ID : key.substring(0, colon);
        }

        /** The "{@code <workload>/<peer>}" part of a ratio key. */
        public static String ratioOf(String key) {
            return key.substring(key.indexOf(':') + 1);
        }

        public static Map<String, Double> of(Map<String, TargetResult> targets, FioResult fio) {
            Map<String, Double> out = new LinkedHashMap<>();
            List<String> spillways = new ArrayList<>();
            for (String id : targets.keySet()) {
                if (SpillwayTarget.isSpillway(id)) {
                    of(out, id, targets, spillways, fio);
                    spillways.add(id);
                }
            }
            return out;
        }

        private static void of(Map<String, Double> out, String id, Map<String, TargetResult> targets, List<String> earlier,
                               FioResult fio) {
            String prefix = id.equals(SpillwayTarget.ID) ? "" : id + ":";
            TargetResult me = targets.get(id);
            if (fio != null) {
                // fio at its best: the ratios the targets are set against.
                out.put(prefix + "dump/fio", ratio(rate(me.dump()), fio.writeGbps()));
                out.put(prefix + "dump/fio-fsync", ratio(rate(me.dump()), fio.writeSyncedGbps()));
                out.put(prefix + "load/fio", ratio(rate(me.load()), fio.randreadGbps()));
                // One request in flight per client thread: the old reference, for comparison only.
                out.put(prefix + "dump/fio-psync", ratio(rate(me.dump()), fio.psyncWriteGbps()));
                out.put(prefix + "load/fio-psync", ratio(rate(me.load()), fio.psyncRandreadGbps()));
            }
            targets.forEach((peerId, peer) -> {
                if (peerId.equals(id) || SpillwayTarget.isSpillway(peerId) && !earlier.contains(peerId)) {
                    return;
                }
                out.put(prefix + "dump/" + peerId, ratio(rate(me.dump()), rate(peer.dump())));
                out.put(prefix + "load/" + peerId, ratio(rate(me.load()), rate(peer.load())));
                out.put(prefix + "mixed/" + peerId, ratio(rate(me.mixed()), rate(peer.mixed())));
            });
        }
    }
}
