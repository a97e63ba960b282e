package io.spillway.cli;

import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.Ratios;
import io.spillway.cli.bench.BenchReport.SizeResult;
import io.spillway.cli.bench.BenchReport.TargetResult;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The table {@code spillway bench} prints per block size: each target, fio, then each Spillway target's ratios. */
final class BenchTable {

    /** Wide enough for "Spillway, durability always / file-per-block-fsync". */
    private static final String FMT = "%-9s %-54s %10s %10s %10s%n";

    private BenchTable() {
    }

    /** Whether no block of the target failed or mismatched. */
    static boolean clean(TargetResult t) {
        for (Phase p : new Phase[] {t.dump(), t.load(), t.mixed()}) {
            if (p != null && (p.failed() != 0 || p.mismatches() != 0)) {
                return false;
            }
        }
        return true;
    }

    /** The rows of one block size. */
    static void printSize(PrintWriter out, SizeResult r) {
        out.printf(Locale.ROOT, FMT, "block", "target", "dump GB/s", "load GB/s", "mixed GB/s");
        boolean first = true;
        for (TargetResult t : r.targets().values()) {
            out.printf(Locale.ROOT, FMT, first ? r.blockSizeLabel() : "", t.label(), rate(t.dump()), rate(t.load()), rate(t.mixed()));
            first = false;
            if (!clean(t)) {
                out.printf(Locale.ROOT, "%-9s %s: %d blocks failed, %d mismatched%n", "", t.label(),
                        sum(t, true), sum(t, false));
            }
        }
        if (r.fio() != null) {
            FioReference.print(out, FMT, r.fio());
        }
        // One row per (Spillway target, peer), its dump, load and mixed ratios side by side.
        Map<String, String[]> rows = new LinkedHashMap<>();
        r.ratios().forEach((k, v) -> {
            String[] parts = Ratios.ratioOf(k).split("/", 2);
            TargetResult me = r.targets().get(Ratios.spillwayOf(k));
            String name = (me == null ? Ratios.spillwayOf(k) : me.label()) + " / " + parts[1];
            String[] row = rows.computeIfAbsent(name, p -> new String[] {"-", "-", "-"});
            int col = switch (parts[0]) {
                case "dump" -> 0;
                case "load" -> 1;
                default -> 2;
            };
            row[col] = v == null ? "-" : String.format(Locale.ROOT, "%.2fx", v);
        });
        rows.forEach((name, row) -> out.printf(Locale.ROOT, FMT, "", name, row[0], row[1], row[2]));
        out.println();
        out.flush();
    }

    private static long sum(TargetResult t, boolean failed) {
        long n = 0;
        for (Phase p : new Phase[] {t.dump(), t.load(), t.mixed()}) {
            if (p != null) {
                n += failed ? p.failed() : p.mismatches();
            }
        }
        return n;
    }

    private static String rate(Phase p) {
        return p == null ? "-" : String.format(Locale.ROOT, "%.3f", p.gbps());
    }
}
