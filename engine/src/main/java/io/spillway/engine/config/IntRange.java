package io.spillway.engine.config;

/**
 * The inclusive bounds of an integer setting; one definition serves both the parser of text values
 * and the check of values set in code, so both give the same message.
 */
record IntRange(long min, long max) {

    boolean contains(long value) {
        return value >= min && value <= max;
    }

    /** "must be an integer between 1 and 256". */
    String requirement() {
        return "must be an integer between " + min + " and " + max;
    }
}
