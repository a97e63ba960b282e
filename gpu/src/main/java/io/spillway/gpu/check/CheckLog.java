package io.spillway.gpu.check;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What the device check found: PASS/FAIL lines as they happen, and the bandwidth table printed
 * at the end, each measurement next to its same-run reference.
 */
final class CheckLog {

    /**
     * One measurement.
     *
     * @param what what was measured
     * @param gbps its median or mean, GB/s
     * @param reference what it is compared with ("-" for none)
     * @param referenceGbps the reference's GB/s, 0 for none
     * @param target the fraction of the reference it must reach, 0 for none
     */
    record Row(String what, double gbps, String reference, double referenceGbps, double target) {

        String markdown() {
            boolean hasRef = referenceGbps > 0;
            double ratio = hasRef ? gbps / referenceGbps : Double.NaN;
            String t = target > 0 ? String.format(">= %.0f%% %s", target * 100, ratio >= target ? "met" : "MISSED") : "-";
            return "| " + String.join(" | ", what, String.format("%.2f", gbps), reference,
                    hasRef ? String.format("%.2f", referenceGbps) : "-", hasRef ? String.format("%.0f%%", ratio * 100) : "-", t)
                    + " |";
        }
    }

    private final PrintWriter out;
    private final List<String> failures = new ArrayList<>();
    private final List<Row> table = new ArrayList<>();

    CheckLog(PrintWriter out) {
        this.out = out;
    }

    PrintWriter out() {
        return out;
    }

    /** Prints PASS or FAIL for {@code what}; a failure makes the check exit 1. */
    void check(boolean ok, String what) {
        out.println((ok ? "PASS: " : "FAIL: ") + what);
        if (!ok) {
            failures.add(what);
        }
    }

    /** Adds a row to the table and prints the figure now. */
    void row(String what, double gbps, String reference, double referenceGbps, double target) {
        table.add(new Row(what, gbps, reference, referenceGbps, target));
        out.printf("%s: %.2f GB/s%n", what, gbps);
    }

    /** A row with no reference and no target. */
    void row(String what, double gbps) {
        row(what, gbps, "-", 0, 0);
    }

    /** Prints the table and the verdict; returns the exit code (0 when every check passed). */
    int finish() {
        out.println();
        out.println("| measurement | GB/s | reference | ref GB/s | ratio | target |");
        out.println("|---|---|---|---|---|---|");
        table.forEach(r -> out.println(r.markdown()));
        out.println();
        if (failures.isEmpty()) {
            out.println("ALL CHECKS PASSED");
            return 0;
        }
        out.println("FAILED CHECKS: " + failures);
        return 1;
    }
}
