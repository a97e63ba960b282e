package io.spillway.server.protocol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The request types, each with its code and its {@link Request} record; a reply has its request's
 * code with {@link Protocol#REPLY_BIT} set.
 */
public enum MessageType {
    HELLO(0x0001, Request.Hello.class),
    PING(0x0002, Request.Ping.class),
    REGISTER_REGION(0x0003, Request.RegisterRegion.class),
    UNREGISTER_REGION(0x0004, Request.UnregisterRegion.class),
    LOOKUP(0x0010, Request.Lookup.class),
    LOOKUP_PREFIX(0x0011, Request.LookupPrefix.class),
    DUMP(0x0020, Request.Dump.class),
    LOAD(0x0021, Request.Load.class),
    WAIT(0x0022, Request.Wait.class),
    COMMIT(0x0030, Request.Commit.class),
    DELETE(0x0031, Request.Delete.class),
    STATS(0x0040, Request.Stats.class),
    ARENA(0x0050, Request.Arena.class),
    PIN(0x0051, Request.Pin.class),
    UNPIN(0x0052, Request.Unpin.class);

    private static final MessageType[] BY_CODE = new MessageType[0x53];
    private static final Map<Class<?>, MessageType> BY_RECORD = new HashMap<>();

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
            BY_RECORD.put(t.record, t);
        }
        // Every request record has a type: a new one without fails here, at class load, not on the wire.
        List<Class<?>> records = new ArrayList<>(List.of(Request.class.getPermittedSubclasses()));
        for (int i = 0; i < records.size(); i++) {
            Class<?> c = records.get(i);
            if (c.isInterface()) {
                records.addAll(List.of(c.getPermittedSubclasses()));
            } else if (!BY_RECORD.containsKey(c)) {
                throw new ExceptionInInitializerError("request " + c.getSimpleName() + " has no MessageType");
            }
        }
    }

    private final int code;
    private final Class<? extends Request> record;

    MessageType(int code, Class<? extends Request> record) {
        this.code = code;
        this.record = record;
    }

    /** The u16 on the wire. */
    public int code() {
        return code;
    }

    /** The u16 of this type's reply. */
    public int replyCode() {
        return code | Protocol.REPLY_BIT;
    }

    /** The type {@code request} travels as. */
    static MessageType of(Request request) {
        return BY_RECORD.get(request.getClass());
    }

    /** The request type of a code, or null if the code names none. */
    public static MessageType ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
