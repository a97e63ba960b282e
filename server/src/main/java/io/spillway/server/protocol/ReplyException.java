package io.spillway.server.protocol;

/** A reply whose status is not OK: the daemon refused the request and said why. */
public final class ReplyException extends Exception {

    private final Status status;
    private final long code;

    public ReplyException(Status status, long code, String message) {
        super((status == null ? "status " + code : status.name()) + ": " + message);
        this.status = status;
        this.code = code;
    }

    /** The status, or null for a code this version does not know ({@link #code()}). */
    public Status status() {
        return status;
    }

    public long code() {
        return code;
    }
}
