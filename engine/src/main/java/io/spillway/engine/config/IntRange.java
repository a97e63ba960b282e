package io.spillway.engine.config;

import java.util.Locale;

/**
 * The inclusive bounds of an integer setting; one definition serves the parser of text values, the
 * check of values set in code and the README, so all three say the same.
 */
record IntRange(long min, long max) {

    IntRange {
        if (min > max) {
            throw new IllegalArgumentException("empty range " + min + " to " + max);
        }
    }

    boolean contains(long value) {
        return value >= min && value <= max;
    }

    /** "must be an integer between 1 and 256". */
    String requirement() {
        return "must be an integer between " + min + " and " + max;
    }

    /** "1 – 1,000,000", for the README. */
    String allowed() {
        return String.format(Locale.ROOT, "%,d – %,d", min, max);
    }
}
