package io.spillway.engine.bench;

import java.util.SplittableRandom;

/**
 * Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s, by binary search over the
 * precomputed cumulative distribution (exact, O(log n) per draw, deterministic for a seed).
 */
public final class ZipfSampler {

    private final double[] cdf;
    private final SplittableRandom random;

    public ZipfSampler(int n, double s, long seed) {
        if (n < 1 || s < 0) {
            throw new IllegalArgumentException("need n >= 1 and s >= 0, got n=" + n + " s=" + s);
        }
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        random = new SplittableRandom(seed);
    }

    public int next() {
        double u = random.nextDouble();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
