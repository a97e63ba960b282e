package io.spillway.cli.bench;

import java.time.Duration;

/**
 * One measured phase of one target: bytes moved, wall time, tasks and their latency, and the
 * blocks that failed or did not verify (either makes the run fail).
 */
public record PhaseResult(String phase, long bytes, long blocks, long tasks, Duration wall, Duration p50, Duration p99,
                          long failed, long mismatches) {

    /** Decimal GB/s, as fio's bw_bytes / 1e9. */
    public double gbps() {
        return bytes / 1e9 / (Math.max(wall.toNanos(), 1) / 1e9);
    }

    public boolean clean() {
        return failed == 0 && mismatches == 0;
    }
}
