package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.EvictionPolicy;
import io.spillway.engine.config.StoreConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayBenchmarkTest {

    @TempDir
    Path dir;

    @Test
    void zipfFavoursLowRanksAsThePowerLawSays() {
        Zipf z = new Zipf(100, 0.9);
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        int[] counts = new int[100];
        for (int i = 0; i < 200_000; i++) {
            counts[z.next(random)]++;
        }
        // P(rank 0) / P(rank 9) = 10^0.9 = 7.94
        double ratio = (double) counts[0] / counts[9];
        assertTrue(ratio > 7.0 && ratio < 9.0, "ratio " + ratio);
        assertTrue(counts[99] > 0);
    }

    @Test
    void lruReferenceCountsLeadingHitsAndEvictsTheLeastRecent() {
        LruReference<String> lru = new LruReference<>(3);
        assertEquals(0, lru.request(List.of("a", "b")));
        assertEquals(2, lru.request(List.of("a", "b", "c")));
        assertEquals(0, lru.request(List.of("d")));  // evicts a, the least recently used
        assertEquals(0, lru.request(List.of("a", "b")));
        assertEquals(2.0 / 8, lru.hitRatio(), 1e-9);
    }

    @Test
    void aSmallReplayStaysWithinItsSpaceBoundAndNeverServesWrongBytes() throws Exception {
        ReplayBenchmark.Trace t = new ReplayBenchmark.Trace(24L << 20, 2 << 20, 12, 4, 1, 0.9, 5, 7);
        StoreConfig.Builder base = StoreConfig.builder().storageBackend(dir).segmentSize(ByteSize.ofMiB(4))
                .writeGroupSize(ByteSize.ofMiB(4)).streamNumber(1).evictionPolicy(EvictionPolicy.LRU);
        ReplayBenchmark.Result r = ReplayBenchmark.run(dir, t, base, b -> { });
        assertEquals(0, r.badLoads());
        assertTrue(r.peakUsedBytes() <= r.allowedPeak(), r.toString());
        assertTrue(r.userBytesWritten() >= 5 * t.capacityBytes(), r.toString());
        assertTrue(r.hitRatio() > 0 && r.lruHitRatio() > 0, r.toString());
    }
}
