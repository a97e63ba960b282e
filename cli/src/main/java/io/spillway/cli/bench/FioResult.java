package io.spillway.cli.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * fio on the same directory, with the same block size and the same bytes as the targets: the
 * disk's limit as fio reaches it at its best, and the old one-request-per-job figure.
 *
 * <p>{@code write}, {@code writeSynced} and {@code randread} are the best configuration in
 * {@code all} of their kind (libaio and io_uring, each at several depths, with one job and with
 * one job per client thread): in one run the fastest; over several runs ({@link #median}) the one
 * whose median is the highest, with that median. {@code write} is the target of a dump under {@code durability: none},
 * {@code writeSynced} ({@code --end_fsync=1}) of a durable one, {@code randread} of a load.
 * {@code psyncWrite} and {@code psyncRandread} are {@code --ioengine=psync} with a job per client
 * thread, one request in flight each: what the bench reported before, kept as a second, labelled
 * row, never a ratio's denominator. A figure that was not measured is null.
 */
public record FioResult(String status, Figure write, Figure writeSynced, Figure randread, Figure psyncWrite,
                        Figure psyncRandread, List<Figure> all) {

    /** One fio run: how it ran, and its rate. */
    public record Figure(String rw, String ioengine, int iodepth, int numjobs, boolean endFsync, double gbps,
                         List<String> command) {

        /** {@code libaio qd32 x1}: the settings that reached this figure. */
        public String settings() {
            String s = ioengine + (ioengine.equals("psync") ? "" : " qd" + iodepth) + " x" + numjobs;
            return endFsync ? s + " end_fsync" : s;
        }

        /** Whether {@code o} is the same fio configuration (its rate aside). */
        boolean sameRun(Figure o) {
            return rw.equals(o.rw) && ioengine.equals(o.ioengine) && iodepth == o.iodepth && numjobs == o.numjobs
                    && endFsync == o.endFsync;
        }
    }

    /** A result with no figures, e.g. when fio failed; {@code status} says why. */
    public static FioResult failed(String status) {
        return new FioResult(status, null, null, null, null, null, List.of());
    }

    /** The best figure of {@code all} that matches, or null. */
    public static Figure best(List<Figure> all, String rw, boolean endFsync) {
        return all.stream().filter(f -> f.rw().equals(rw) && f.endFsync() == endFsync && !f.ioengine().equals("psync"))
                .max(Comparator.comparingDouble(Figure::gbps)).orElse(null);
    }

    public Double writeGbps() {
        return gbps(write);
    }

    public Double writeSyncedGbps() {
        return gbps(writeSynced);
    }

    public Double randreadGbps() {
        return gbps(randread);
    }

    public Double psyncWriteGbps() {
        return gbps(psyncWrite);
    }

    public Double psyncRandreadGbps() {
        return gbps(psyncRandread);
    }

    private static Double gbps(Figure f) {
        return f == null ? null : f.gbps();
    }

    /**
     * The summary of repeated runs of the same sweep: per configuration in {@code all}, the run
     * whose rate is the lower median (so every reported figure, with its settings, was measured);
     * per kind, the configuration whose median is the best.
     *
     * <p>Why not the median of each run's best: a run's best is the maximum of eight noisy figures
     * of configurations that are nearly as fast as each other, and a maximum of noisy samples
     * sits above what any configuration does typically (at 256 KiB here, the median of the
     * per-run best writes was 14% above the best configuration's median). The targets are
     * measured once per run; fio's limit is measured the same way, once per run in its best
     * configuration, and {@link Medians#summarise} takes the per-run ratios against that
     * configuration ({@link #pinnedTo}).
     */
    static FioResult median(List<FioResult> runs) {
        List<FioResult> ok = runs.stream().filter(Objects::nonNull).toList();
        if (ok.isEmpty()) {
            return null;
        }
        if (ok.size() == 1) {
            return ok.getFirst();
        }
        List<Figure> all = ok.getFirst().all().stream().map(f -> {
            List<Figure> same = ok.stream().flatMap(r -> r.all().stream()).filter(f::sameRun)
                    .sorted(Comparator.comparingDouble(Figure::gbps)).toList();
            return same.get((same.size() - 1) / 2);
        }).toList();
        return new FioResult(ok.getFirst().status(), best(all, "write", false), best(all, "write", true),
                best(all, "randread", false), medianOf(ok, FioResult::psyncWrite), medianOf(ok, FioResult::psyncRandread), all);
    }

    /**
     * This run's figures of the configurations that {@code chosen} names for each kind (the
     * psync rows as they are): the per-run reference against one fixed configuration. A kind
     * whose configuration did not run here is null.
     */
    FioResult pinnedTo(FioResult chosen) {
        return new FioResult(status, sameAs(chosen.write), sameAs(chosen.writeSynced), sameAs(chosen.randread), psyncWrite,
                psyncRandread, all);
    }

    private Figure sameAs(Figure f) {
        return f == null ? null : all.stream().filter(f::sameRun).findFirst().orElse(null);
    }

    private static Figure medianOf(List<FioResult> runs, Function<FioResult, Figure> which) {
        List<Figure> v = runs.stream().map(which).filter(Objects::nonNull).sorted(Comparator.comparingDouble(Figure::gbps)).toList();
        return v.isEmpty() ? null : v.get((v.size() - 1) / 2);
    }
}
