package io.spillway.cli.bench;

import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.SizeResult;
import io.spillway.cli.bench.BenchReport.TargetResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Summarises repeated runs of one block size. On a shared machine a single run's figures swing
 * by 2x or more, so the bench repeats the whole sequence (every target, then fio) and reports,
 * per figure, the median over runs; each ratio is the median of the per-run ratios (a ratio
 * taken within one run cancels the disk's drift between runs, a ratio of medians would not).
 * fio's figures and ratios are those of its best configuration over the runs ({@link FioResult#median}).
 * With an even number of runs the lower middle value is taken, so every reported figure is one
 * that was actually measured.
 */
public final class Medians {

    private Medians() {
    }

    /** The lower median of the non-null values, or null when there are none. */
    public static Double median(List<Double> values) {
        List<Double> v = values.stream().filter(Objects::nonNull).sorted().toList();
        return v.isEmpty() ? null : v.get((v.size() - 1) / 2);
    }

    /** One block size over {@code runs} (each the same size, targets and fio settings). */
    public static SizeResult summarise(List<SizeResult> runs) {
        if (runs.size() == 1) {
            return runs.getFirst();
        }
        SizeResult first = runs.getFirst();
        Map<String, TargetResult> targets = new LinkedHashMap<>();
        first.targets().forEach((id, t) -> {
            List<TargetResult> all = runs.stream().map(r -> r.targets().get(id)).toList();
            targets.put(id, new TargetResult(t.label(), t.readPath(), medianPhase(all, TargetResult::dump),
                    medianPhase(all, TargetResult::load), medianPhase(all, TargetResult::mixed)));
        });
        FioResult fio = first.fio() == null ? null : FioResult.median(runs.stream().map(SizeResult::fio).toList());
        // Against fio, each run's ratio is taken against the configuration that is best over all
        // runs (FioResult.median says why), not against that run's fastest configuration.
        List<Map<String, Double>> perRunRatios = runs.stream().map(r -> fio == null || r.fio() == null ? r.ratios()
                : BenchReport.Ratios.of(r.targets(), r.fio().pinnedTo(fio))).toList();
        Map<String, Double> ratios = new LinkedHashMap<>();
        for (String key : first.ratios().keySet()) {
            List<Double> perRun = new ArrayList<>();
            perRunRatios.forEach(r -> perRun.add(r.get(key)));
            ratios.put(key, median(perRun));
        }
        return new SizeResult(first.blockSize(), first.blockSizeLabel(), targets, fio, ratios);
    }

    /** The phase whose rate is the lower median; failures and mismatches summed over all runs. */
    private static Phase medianPhase(List<TargetResult> all, Function<TargetResult, Phase> which) {
        List<Phase> phases = all.stream().map(which).filter(Objects::nonNull).toList();
        return phases.isEmpty() ? null : lowerMedian(phases);
    }

    /**
     * Of several measurements of one phase (runs, or a load's passes), the one whose rate is the
     * lower median, with failures and mismatches summed over all of them, so that no failure is
     * hidden by a better measurement.
     */
    static Phase lowerMedian(List<Phase> phases) {
        List<Phase> byRate = phases.stream().sorted(Comparator.comparingDouble(Phase::gbps)).toList();
        Phase m = byRate.get((byRate.size() - 1) / 2);
        long failed = phases.stream().mapToLong(Phase::failed).sum();
        long mismatches = phases.stream().mapToLong(Phase::mismatches).sum();
        return new Phase(m.bytes(), m.blocks(), m.tasks(), m.seconds(), m.gbps(), m.p50Ms(), m.p99Ms(), failed, mismatches, m.passes());
    }
}
