package io.spillway.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** S3-FIFO and LRU as the DRAM tier uses them: properties from seeded random traces, and each one's characteristic order. */
class CachePoliciesTest {

    /** Simulates a cache of {@code capacity} items over a trace; returns the hit ratio. Refused items are never victims. */
    private static double simulate(EvictionPolicy<Integer> p, int capacity, int[] trace, Set<Integer> pinned) {
        Set<Integer> resident = new HashSet<>();
        int hits = 0;
        for (int item : trace) {
            if (resident.contains(item)) {
                p.touch(item);
                hits++;
                continue;
            }
            if (resident.size() == capacity) {
                Integer v = p.victim(k -> !pinned.contains(k));
                if (v == null) {
                    continue; // everything resident is pinned: not admitted
                }
                assertTrue(resident.contains(v), "victim " + v + " is resident");
                assertTrue(!pinned.contains(v), "a refused item was chosen");
                p.remove(v);
                resident.remove(v);
            }
            p.admit(item);
            resident.add(item);
            assertEquals(resident.size(), p.size());
        }
        return (double) hits / trace.length;
    }

    private static int[] zipf(SplittableRandom r, int n, int items, double s) {
        double[] cdf = new double[items];
        double sum = 0;
        for (int i = 0; i < items; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() * sum;
            int lo = 0;
            int hi = items - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            out[i] = lo;
        }
        return out;
    }

    @Test
    void randomTracesKeepSizesAndNeverPickARefusedItem() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int capacity = 1 + r.nextInt(50);
            int[] trace = zipf(r, 5000, 1 + r.nextInt(400), 0.6 + r.nextDouble());
            Set<Integer> pinned = new HashSet<>();
            for (int i = 0; i < r.nextInt(capacity); i++) {
                pinned.add(r.nextInt(100));
            }
            for (Supplier<EvictionPolicy<Integer>> f : List.<Supplier<EvictionPolicy<Integer>>>of(
                    () -> new S3FifoPolicy<>(capacity), LruPolicy::new)) {
                simulate(f.get(), capacity, trace, pinned);
            }
        }
    }

    @Test
    void s3FifoMatchesExactLruOnZipfAndBeatsItOnScans() {
        SplittableRandom r = new SplittableRandom(42);
        int[] trace = zipf(r, 200_000, 10_000, 0.9);
        double s3 = simulate(new S3FifoPolicy<>(1000), 1000, trace, Set.of());
        double lru = simulate(new LruPolicy<>(), 1000, trace, Set.of());
        assertTrue(s3 >= 0.95 * lru, "S3-FIFO " + s3 + " vs LRU " + lru);
        // A hot set plus a one-pass scan: LRU lets the scan flush the hot set, S3-FIFO does not.
        int[] mixed = new int[60_000];
        for (int i = 0; i < mixed.length; i++) {
            mixed[i] = i % 3 == 0 ? 1_000_000 + i : r.nextInt(80);
        }
        double s3Scan = simulate(new S3FifoPolicy<>(100), 100, mixed, Set.of());
        double lruScan = simulate(new LruPolicy<>(), 100, mixed, Set.of());
        assertTrue(s3Scan > lruScan, "S3-FIFO " + s3Scan + " vs LRU " + lruScan + " with a scan");
    }

    @Test
    void aOneHitWonderLeavesFromSmallAndAGhostReturnsToMain() {
        S3FifoPolicy<String> p = new S3FifoPolicy<>(10); // small target: 1
        p.admit("a");
        assertEquals("a", p.victim(k -> true));
        p.remove("a");
        assertEquals(1, p.ghostSize(), "evicted from small: remembered");
        p.admit("b");
        p.admit("a"); // back from the ghost: straight to main
        assertEquals(1, p.smallSize());
        assertEquals("b", p.victim(k -> true), "small goes first");
        p.admit("c");
        p.remove("c"); // a delete, not the victim just given
        assertEquals(0, p.ghostSize(), "a delete is not an eviction: not remembered (a left the ghost for main)");
    }

    @Test
    void lruEvictsTheLeastRecentlyTouched() {
        LruPolicy<String> p = new LruPolicy<>();
        for (String k : List.of("a", "b", "c")) {
            p.admit(k);
        }
        p.touch("a");
        assertEquals("b", p.victim(k -> true));
        assertEquals("c", p.victim(k -> !k.equals("b")));
        assertNull(p.victim(k -> false));
    }
}
