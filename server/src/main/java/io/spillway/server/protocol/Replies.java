package io.spillway.server.protocol;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.SharedArena;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;

/**
 * Encodes replies (the daemon's side) into a {@link FrameWriter}. A reply's body starts with a
 * u32 {@link Status}; an error adds a message string and nothing else. The OK bodies:
 * <pre>
 *   HELLO              see {@link ServerInfo}
 *   PING, UNREGISTER   empty
 *   REGISTER_REGION    u32 region id
 *   LOOKUP             u32 count, ceil(count/8) bitmap bytes (key i is bit i % 8 of byte i / 8)
 *   LOOKUP_PREFIX      u32 leading hits
 *   DUMP, LOAD         u64 job id
 *   WAIT               u32 count, count {@link JobReport}s in request order
 *   COMMIT, DELETE     u32 keys affected
 *   STATS              u32 length, UTF-8 JSON
 * </pre>
 */
public final class Replies {

    private Replies() {
    }

    /** Starts an OK reply to {@code type}; the caller appends the body. */
    public static FrameWriter ok(FrameWriter w, MessageType type, long requestId) {
        return w.start(type.replyCode(), requestId).u32(Status.OK.code());
    }

    public static ByteBuffer error(FrameWriter w, MessageType type, long requestId, Status status, String message) {
        return w.start(type.replyCode(), requestId).u32(status.code()).string(message, Protocol.MAX_MESSAGE_BYTES).finish();
    }

    /** The notice sent just before the daemon closes a connection. */
    public static ByteBuffer closing(FrameWriter w, long requestId, Status status, String message) {
        return w.start(Protocol.CLOSING_TYPE, requestId).u32(status.code()).string(message, Protocol.MAX_MESSAGE_BYTES).finish();
    }

    public static ByteBuffer hello(FrameWriter w, long requestId, ServerInfo info) {
        ok(w, MessageType.HELLO, requestId);
        info.encode(w);
        return w.finish();
    }

    public static ByteBuffer empty(FrameWriter w, MessageType type, long requestId) {
        return ok(w, type, requestId).finish();
    }

    public static ByteBuffer u32(FrameWriter w, MessageType type, long requestId, long value) {
        return ok(w, type, requestId).u32(value).finish();
    }

    public static ByteBuffer u64(FrameWriter w, MessageType type, long requestId, long value) {
        return ok(w, type, requestId).u64(value).finish();
    }

    public static ByteBuffer lookup(FrameWriter w, long requestId, int count, BitSet hits) {
        ok(w, MessageType.LOOKUP, requestId).u32(count);
        byte[] bitmap = new byte[(count + 7) / 8];
        byte[] set = hits.toByteArray(); // little-endian bit order: bit i is byte i/8, bit i%8, as on the wire
        System.arraycopy(set, 0, bitmap, 0, Math.min(set.length, bitmap.length));
        return w.bytes(bitmap).finish();
    }

    public static ByteBuffer waitReply(FrameWriter w, long requestId, List<JobReport> reports) {
        ok(w, MessageType.WAIT, requestId).u32(reports.size());
        for (JobReport r : reports) {
            r.encode(w);
        }
        return w.finish();
    }

    /** ARENA's reply: size, id (the protocol's epoch), page size, 4 reserved bytes, path. */
    public static ByteBuffer arena(FrameWriter w, long requestId, long size, long id, int pageSize, String path) {
        return ok(w, MessageType.ARENA, requestId).u64(size).u64(id).u32(pageSize).zeros(4)
                .string(path, Protocol.MAX_PATH_BYTES).finish();
    }

    /** PIN's reply: the pin id (0 when nothing is held), the count, then per key offset, length, outcome. */
    public static ByteBuffer pin(FrameWriter w, long requestId, long pinId, SharedArena.Pin pin) {
        ok(w, MessageType.PIN, requestId).u64(pinId).u32(pin.size()).zeros(4);
        for (int i = 0; i < pin.size(); i++) {
            boolean held = pin.outcome(i) == Outcome.OK;
            w.u64(held ? pin.offset(i) : 0).u32(held ? pin.length(i) : 0).u8(OutcomeCode.of(pin.outcome(i))).zeros(3);
        }
        return w.finish();
    }

    public static ByteBuffer stats(FrameWriter w, long requestId, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return ok(w, MessageType.STATS, requestId).u32(b.length).bytes(b).finish();
    }
}
