package io.spillway.server;

import io.spillway.server.protocol.Status;

/** A request about a region that cannot be honoured: the reply's status and message. */
final class RegionException extends Exception {

    private final Status status;

    RegionException(Status status, String message) {
        super(message);
        this.status = status;
    }

    Status status() {
        return status;
    }
}
