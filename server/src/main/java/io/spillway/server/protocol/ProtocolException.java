package io.spillway.server.protocol;

/**
 * A frame that breaks the protocol: a bad magic, version or flags, a length out of bounds, a body
 * whose size does not match its counts, a non-zero reserved field, invalid UTF-8. The daemon
 * closes the connection that sent it (after a best-effort closing notice) and nothing else.
 */
public class ProtocolException extends Exception {

    private final long requestId;

    public ProtocolException(String message) {
        this(message, 0);
    }

    public ProtocolException(String message, long requestId) {
        super(message);
        this.requestId = requestId;
    }

    /** The request id of the offending frame when its header was readable, else 0. */
    public long requestId() {
        return requestId;
    }
}
