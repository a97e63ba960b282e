package io.spillway.cli.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** 2: {@code cache}, the DRAM tier's figures (null unless the cache workload ran). */
    public static final int SCHEMA_VERSION = 2;

    /** Where it ran. {@code loadAverage} is the 1-minute load when the run started (a noisy machine shows here). */
    public record Machine(String os, String kernel, int cores, long memoryBytes, String java, String dir, String fileSystem,
                          double loadAverage) {
    }

    public record Settings(int runs, int threads, long bytesPerSize, int batch, double mixedSeconds, double mixedLoadShare,
                           double zipfExponent, String durability, List<String> workloads, List<String> compare, boolean quick) {
    }

    /** One block size: per target id ({@code spillway}, {@code file-per-block}, {@code rocksdb-blob}) and fio. */
    public record SizeResult(long blockSize, String blockSizeLabel, Map<String, TargetResult> targets, FioResult fio,
                             Map<String, Double> ratios) {
    }

    public record TargetResult(String label, String readPath, Phase dump, Phase load, Phase mixed) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Phase(long bytes, long blocks, long tasks, double seconds, double gbps, double p50Ms, double p99Ms,
                        long failed, long mismatches) {

        public static Phase of(PhaseResult r) {
            if (r == null) {
                return null;
            }
            return new Phase(r.bytes(), r.blocks(), r.tasks(), r.wall().toNanos() / 1e9, round(r.gbps()),
                    r.p50().toNanos() / 1e6, r.p99().toNanos() / 1e6, r.failed(), r.mismatches());
        }
    }

    /** fio on the same directory: sequential write (vs dump) and random read (vs load), O_DIRECT. */
    public record FioResult(String status, Double writeGbps, Double randreadGbps, List<String> writeCommand,
                            List<String> readCommand) {
    }

    public record LookupResult(long indexedKeys, int chainLength, int iterations, double p50Ms, double p99Ms, double maxMs) {
    }

    /** Rounds a rate to 4 decimals, so the JSON stays readable. */
    static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    /** A size result with its ratios computed from the figures. */
    public static SizeResult sizeResult(long blockSize, String label, Map<String, TargetResult> targets, FioResult fio) {
        return new SizeResult(blockSize, label, targets, fio, Ratios.of(targets, fio));
    }

    /** Ratio keys are "{@code <workload>/<peer>}", e.g. {@code load/rocksdb-blob}: Spillway's rate over the peer's. */
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

        public static Map<String, Double> of(Map<String, TargetResult> targets, FioResult fio) {
            Map<String, Double> out = new LinkedHashMap<>();
            TargetResult me = targets.get(SpillwayTarget.ID);
            if (me == null) {
                return out;
            }
            if (fio != null) {
                out.put("dump/fio", ratio(rate(me.dump()), fio.writeGbps()));
                out.put("load/fio", ratio(rate(me.load()), fio.randreadGbps()));
            }
            targets.forEach((id, peer) -> {
                if (id.equals(SpillwayTarget.ID)) {
                    return;
                }
                out.put("dump/" + id, ratio(rate(me.dump()), rate(peer.dump())));
                out.put("load/" + id, ratio(rate(me.load()), rate(peer.load())));
                out.put("mixed/" + id, ratio(rate(me.mixed()), rate(peer.mixed())));
            });
            return out;
        }
    }
}
