package io.spillway.cli.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Zipf-distributed ranks in {@code [0, n)}: rank {@code k} is drawn with probability
 * proportional to {@code 1 / (k + 1)^s}. Prefix-cache popularity is heavy-tailed this way (a few
 * system prompts and documents are shared by most requests).
 *
 * <p>Sampling inverts a precomputed cumulative table by binary search: exact, O(log n) per draw,
 * 8 bytes per rank. The bench's key spaces are at most a few million blocks, so the table is
 * small next to the blocks themselves.
 */
public final class Zipf {

    private final double[] cdf;
    private final double exponent;

    public Zipf(int n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("Zipf needs at least one rank, got " + n);
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("Zipf exponent must be finite and >= 0, got " + exponent);
        }
        this.exponent = exponent;
        cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += Math.pow(k + 1, -exponent);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
        cdf[n - 1] = 1.0; // no rounding gap at the top
    }

    public int size() {
        return cdf.length;
    }

    public double exponent() {
        return exponent;
    }

    /** The probability of rank {@code k}. */
    public double probability(int k) {
        return k == 0 ? cdf[0] : cdf[k] - cdf[k - 1];
    }

    /** A rank drawn from {@code random}. */
    public int next(SplittableRandom random) {
        double u = random.nextDouble();
        int i = Arrays.binarySearch(cdf, u);
        // Not found: insertion point, the first rank whose cumulative share exceeds u.
        return i >= 0 ? i : Math.min(-i - 1, cdf.length - 1);
    }
}
