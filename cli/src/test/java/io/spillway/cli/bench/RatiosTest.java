package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.TargetResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RatiosTest {

    private static Phase gbps(double v) {
        return new Phase(1, 1, 1, 1, v, 0, 0, 0, 0, List.of(v));
    }

    static FioResult.Figure figure(String rw, boolean endFsync, double gbps) {
        return new FioResult.Figure(rw, "libaio", 16, 1, endFsync, gbps, List.of("fio"));
    }

    @Test
    void ratioIsSpillwayOverThePeerAndNullWhenUnmeasured() {
        assertEquals(1.5, BenchReport.Ratios.ratio(3.0, 2.0));
        assertNull(BenchReport.Ratios.ratio(null, 2.0));
        assertNull(BenchReport.Ratios.ratio(1.0, null));
        assertNull(BenchReport.Ratios.ratio(1.0, 0.0));
        assertEquals(0.3333, BenchReport.Ratios.ratio(1.0, 3.0));
    }

    @Test
    void everyPeerAndFioGetsARatioPerWorkload() {
        Map<String, TargetResult> targets = new LinkedHashMap<>();
        targets.put(SpillwayTarget.ID, new TargetResult("Spillway", "O_DIRECT", gbps(1.8), gbps(1.2), gbps(1.0)));
        targets.put(FilePerBlockTarget.ID, new TargetResult("fpb", "buffered", gbps(1.2), gbps(0.6), null));
        FioResult fio = new FioResult("ok", figure("write", false, 2.0), figure("write", true, 1.8), figure("randread", false, 1.0),
                figure("write", false, 1.0), figure("randread", false, 0.5), List.of());
        Map<String, Double> r = BenchReport.Ratios.of(targets, fio);
        assertEquals(0.9, r.get("dump/fio"));
        assertEquals(1.0, r.get("dump/fio-fsync"));
        assertEquals(1.2, r.get("load/fio"));
        assertEquals(1.8, r.get("dump/fio-psync"));
        assertEquals(2.4, r.get("load/fio-psync"));
        assertEquals(1.5, r.get("dump/file-per-block"));
        assertEquals(2.0, r.get("load/file-per-block"));
        assertNull(r.get("mixed/file-per-block"));
        assertEquals(List.of("dump/fio", "dump/fio-fsync", "load/fio", "dump/fio-psync", "load/fio-psync", "dump/file-per-block",
                "load/file-per-block", "mixed/file-per-block"), List.copyOf(r.keySet()));
    }

    @Test
    void severalSpillwayTargetsKeyTheirRatiosByIdAndALaterModeIsSetAgainstAnEarlierOne() {
        Map<String, TargetResult> targets = new LinkedHashMap<>();
        targets.put("spillway-none", new TargetResult("Spillway, durability none", "O_DIRECT", gbps(2.0), gbps(1.0), null));
        targets.put("spillway-batch", new TargetResult("Spillway, durability batch", "O_DIRECT", gbps(1.5), gbps(1.0), null));
        targets.put(FilePerBlockTarget.FSYNC_ID, new TargetResult("fpb fsync", "buffered", gbps(0.5), gbps(0.5), null));
        FioResult fio = new FioResult("ok", figure("write", false, 2.5), figure("write", true, 2.0), figure("randread", false, 1.0),
                null, null, List.of());
        Map<String, Double> r = BenchReport.Ratios.of(targets, fio);
        assertEquals(0.8, r.get("spillway-none:dump/fio"));
        assertEquals(0.75, r.get("spillway-batch:dump/fio-fsync"));
        assertEquals(3.0, r.get("spillway-batch:dump/file-per-block-fsync"));
        assertEquals(0.75, r.get("spillway-batch:dump/spillway-none"));
        assertFalse(r.containsKey("spillway-none:dump/spillway-batch"), "only against the modes measured before");
        assertFalse(r.containsKey("dump/fio"), "no unprefixed keys without a target called spillway");
        assertEquals("spillway-batch", BenchReport.Ratios.spillwayOf("spillway-batch:dump/fio"));
        assertEquals("dump/fio", BenchReport.Ratios.ratioOf("spillway-batch:dump/fio"));
        assertEquals(SpillwayTarget.ID, BenchReport.Ratios.spillwayOf("load/fio"));
        assertEquals("load/fio", BenchReport.Ratios.ratioOf("load/fio"));
    }

    @Test
    void missingFioGivesNoFioRatios() {
        Map<String, TargetResult> targets = Map.of(SpillwayTarget.ID, new TargetResult("Spillway", "O_DIRECT", gbps(1), gbps(1), null));
        assertEquals(Map.of(), BenchReport.Ratios.of(targets, null));
        FioResult failed = FioResult.failed("failed: x");
        Map<String, Double> r = BenchReport.Ratios.of(targets, failed);
        assertNull(r.get("dump/fio"));
    }
}
