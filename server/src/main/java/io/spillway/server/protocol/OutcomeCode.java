package io.spillway.server.protocol;

import io.spillway.engine.api.Outcome;

/**
 * The u8 of a block's {@link Outcome} on the wire. Explicit codes, not ordinals, so a new outcome
 * in the engine never renumbers the old ones; a client maps a code it does not know to "unknown,
 * not OK".
 */
public final class OutcomeCode {

    private OutcomeCode() {
    }

    public static int of(Outcome o) {
        return switch (o) {
            case OK -> 0;
            case MISSING -> 1;
            case CORRUPT -> 2;
            case TIMEOUT -> 3;
            case IO_ERROR -> 4;
            case BUSY -> 5;
            case STORE_FULL -> 6;
            case ABORTED -> 7;
        };
    }

    /** The outcome of a code, or null for a code this version does not know. */
    public static Outcome outcome(int code) {
        return switch (code) {
            case 0 -> Outcome.OK;
            case 1 -> Outcome.MISSING;
            case 2 -> Outcome.CORRUPT;
            case 3 -> Outcome.TIMEOUT;
            case 4 -> Outcome.IO_ERROR;
            case 5 -> Outcome.BUSY;
            case 6 -> Outcome.STORE_FULL;
            case 7 -> Outcome.ABORTED;
            default -> null;
        };
    }
}
