package io.spillway.cli.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * fio on the same directory, with the same block size and the same bytes as the targets: the
 * disk's limit as fio reaches it at its best, and the old one-request-per-job figure.
 *
 * <p>{@code write}, {@code writeSynced} and {@code randread} are the best of every run in
 * {@code all} of their kind (libaio and io_uring, each at several depths, with one job and with
 * one job per client thread): {@code write} is the target of a dump under {@code durability: none},
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
     * The summary of repeated runs of the same sweep: per kind, the run whose figure is the lower
     * median (so every reported figure, with its settings, was measured); per configuration in
     * {@code all}, the lower median of its rates.
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
        return new FioResult(ok.getFirst().status(), medianOf(ok, FioResult::write), medianOf(ok, FioResult::writeSynced),
                medianOf(ok, FioResult::randread), medianOf(ok, FioResult::psyncWrite), medianOf(ok, FioResult::psyncRandread), all);
    }

    private static Figure medianOf(List<FioResult> runs, Function<FioResult, Figure> which) {
        List<Figure> v = runs.stream().map(which).filter(Objects::nonNull).sorted(Comparator.comparingDouble(Figure::gbps)).toList();
        return v.isEmpty() ? null : v.get((v.size() - 1) / 2);
    }
}
