package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfTest {

    @Test
    void probabilitiesFollowThePowerLawAndSumToOne() {
        Zipf z = new Zipf(1000, 1.0);
        double sum = 0;
        for (int k = 0; k < z.size(); k++) {
            sum += z.probability(k);
        }
        assertEquals(1.0, sum, 1e-9);
        // p(k) ~ 1/(k+1): rank 0 is twice rank 1 and ten times rank 9.
        assertEquals(2.0, z.probability(0) / z.probability(1), 1e-9);
        assertEquals(10.0, z.probability(0) / z.probability(9), 1e-9);
    }

    @Test
    void samplesMatchTheProbabilities() {
        Zipf z = new Zipf(100, 0.99);
        SplittableRandom random = new SplittableRandom(1);
        int n = 200_000;
        int[] counts = new int[z.size()];
        for (int i = 0; i < n; i++) {
            int k = z.next(random);
            assertTrue(k >= 0 && k < z.size());
            counts[k]++;
        }
        for (int k : new int[] {0, 1, 10, 99}) {
            double expected = z.probability(k) * n;
            assertEquals(expected, counts[k], 5 * Math.sqrt(expected) + 1, "rank " + k);
        }
    }

    @Test
    void exponentZeroIsUniformAndOneRankAlwaysWins() {
        Zipf uniform = new Zipf(4, 0);
        for (int k = 0; k < 4; k++) {
            assertEquals(0.25, uniform.probability(k), 1e-12);
        }
        Zipf single = new Zipf(1, 1.2);
        assertEquals(0, single.next(new SplittableRandom(3)));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Zipf(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Zipf(10, -1));
        assertThrows(IllegalArgumentException.class, () -> new Zipf(10, Double.NaN));
    }
}
