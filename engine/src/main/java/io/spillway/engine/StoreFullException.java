package io.spillway.engine;

import io.spillway.engine.api.Outcome;

import java.io.IOException;

/** A dump needs a new segment and the store is at its {@code capacity}. Maps to {@link Outcome#STORE_FULL}. */
final class StoreFullException extends IOException {

    StoreFullException(String message) {
        super(message);
    }
}
