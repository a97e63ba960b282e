package io.spillway.engine.policy;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Keeps a block read at least {@code minHits} times, while the bytes kept stay within {@code
 * budgetPercent} of the bytes users wrote (so reinsertion can never dominate the disk's writes).
 *
 * <p>Not thread-safe; the owner serialises calls.
 */
public final class HitsReinsertion implements ReinsertionPolicy {

    private final int minHits;
    private final int budgetPercent;
    private final LongSupplier userBytes;
    private long reinsertedBytes;

    /**
     * @param minHits reads needed to be kept; 0 keeps nothing
     * @param budgetPercent 0 to 100
     * @param userBytes the bytes users have written so far (read at each decision)
     */
    public HitsReinsertion(int minHits, int budgetPercent, LongSupplier userBytes) {
        if (minHits < 0 || budgetPercent < 0 || budgetPercent > 100) {
            throw new IllegalArgumentException("need minHits >= 0 and 0 <= budgetPercent <= 100, got " + minHits + ", "
                    + budgetPercent);
        }
        this.minHits = minHits;
        this.budgetPercent = budgetPercent;
        this.userBytes = Objects.requireNonNull(userBytes, "userBytes");
    }

    @Override
    public boolean reinsert(int hits, long bytes) {
        if (minHits == 0 || hits < minHits || !withinBudget(bytes)) {
            return false;
        }
        reinsertedBytes += bytes;
        return true;
    }

    /** Whether {@code bytes} more would stay within the budget. */
    public boolean withinBudget(long bytes) {
        return reinsertedBytes + bytes <= userBytes.getAsLong() * budgetPercent / 100.0;
    }

    /** The bytes kept so far. */
    public long reinsertedBytes() {
        return reinsertedBytes;
    }
}
