package io.spillway.server.protocol;

/** The request types; a reply has its request's code with {@link Protocol#REPLY_BIT} set. */
public enum MessageType {
    HELLO(0x0001),
    PING(0x0002),
    REGISTER_REGION(0x0003),
    UNREGISTER_REGION(0x0004),
    LOOKUP(0x0010),
    LOOKUP_PREFIX(0x0011),
    DUMP(0x0020),
    LOAD(0x0021),
    WAIT(0x0022),
    COMMIT(0x0030),
    DELETE(0x0031),
    STATS(0x0040);

    private static final MessageType[] BY_CODE = new MessageType[0x41];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The u16 on the wire. */
    public int code() {
        return code;
    }

    /** The u16 of this type's reply. */
    public int replyCode() {
        return code | Protocol.REPLY_BIT;
    }

    /** The request type of a code, or null if the code names none. */
    public static MessageType ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
