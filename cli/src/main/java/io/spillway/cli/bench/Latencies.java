package io.spillway.cli.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/** Task latencies of one kind, for p50/p99. Not thread-safe: one recording thread. */
public final class Latencies {

    private long[] nanos = new long[64];
    private int count;

    public void record(Duration elapsed) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = elapsed.toNanos();
    }

    /** Adds every value recorded by {@code other} (after its recording thread finished). */
    public void addAll(Latencies other) {
        for (int i = 0; i < other.count; i++) {
            record(Duration.ofNanos(other.nanos[i]));
        }
    }

    public int count() {
        return count;
    }

    /**
     * The nearest-rank percentile: the smallest recorded value with at least {@code p}% of the
     * values at or below it; zero when nothing was recorded.
     */
    public Duration percentile(double p) {
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        if (count == 0) {
            return Duration.ZERO;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return Duration.ofNanos(sorted[Math.max(rank, 1) - 1]);
    }

    /** "p50 12.3 ms, p99 40.1 ms". */
    public String summary() {
        return "p50 " + millis(percentile(50)) + ", p99 " + millis(percentile(99));
    }

    /** "12.3 ms" with three significant-ish digits. */
    public static String millis(Duration d) {
        double ms = d.toNanos() / 1e6;
        return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : ms < 100 ? "%.1f ms" : "%.0f ms", ms);
    }
}
