package io.spillway.server.protocol;

/**
 * The first u32 of every reply body. Anything but {@link #OK} is followed by a message (u16
 * length, UTF-8) and nothing else; the connection stays open, except after {@link
 * #UNSUPPORTED_VERSION} and {@link #PROTOCOL_ERROR}, which the daemon sends just before closing.
 */
public enum Status {
    OK(0),
    /** The request is well-formed but not valid: a slice outside its region, a block of a bad size, ... */
    BAD_REQUEST(1),
    /** Only HELLO and PING are allowed before HELLO. */
    HELLO_REQUIRED(2),
    /** The request names a region this connection has not registered (or has unregistered). */
    NO_SUCH_REGION(3),
    /** This connection has too many jobs in flight or unreaped; wait for some first. */
    BUSY(4),
    /** The daemon is draining for shutdown: no new dump or load is accepted. */
    SHUTTING_DOWN(5),
    /** The store failed the operation (an IO error of its index, say). */
    STORE_ERROR(6),
    /** HELLO of a protocol version the daemon does not speak; the message names the ones it does. */
    UNSUPPORTED_VERSION(7),
    /** The frame broke the protocol; sent in the closing notice. */
    PROTOCOL_ERROR(8),
    /** The peer may not use the file it asked to register (it is not the file's owner). */
    ACCESS_DENIED(9),
    /** The daemon hit a bug; the message says what. */
    INTERNAL(10),
    /** ARENA or PIN on a store without a DRAM tier. */
    NO_ARENA(11);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status of a code, or null if unknown (a newer daemon's). */
    public static Status ofCode(long code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
