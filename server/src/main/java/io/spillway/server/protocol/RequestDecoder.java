package io.spillway.server.protocol;

import java.nio.ByteBuffer;

/**
 * Decodes request bodies. Strict: every body must have exactly the length its fields and counts
 * give, reserved fields must be zero, counts are bounded before anything is allocated, strings
 * must be valid UTF-8 within their limits. Anything else is a {@link ProtocolException}: no other
 * exception escapes (the fuzz target {@code ProtocolFuzzTest} holds it to that).
 *
 * <p>Body layouts (all little-endian; {@code str} is a u16 byte length then UTF-8; a key is 32
 * bytes; a slice is region u32, length u32, offset u64):
 * <pre>
 *   HELLO             str namespace (1..1024 bytes), str client name (0..256)
 *   PING, STATS, ARENA
 *                     empty
 *   REGISTER_REGION   u64 size, str path (1..4095)
 *   UNREGISTER_REGION u32 region
 *   LOOKUP, LOOKUP_PREFIX, DELETE, PIN
 *                     u32 count, count keys
 *   UNPIN             u64 pin
 *   COMMIT            u8 success (0 or 1), 3 reserved bytes, u32 count, count keys
 *   DUMP, LOAD        u32 count, u32 reserved, count keys, count slices
 *   WAIT              u32 timeout ms (0..600000), u8 mode (0 all, 1 any), 3 reserved bytes,
 *                     u32 count (0..4096), count u64 job ids
 * </pre>
 */
public final class RequestDecoder {

    private RequestDecoder() {
    }

    /**
     * Decodes the request of {@code header} from {@code body} (exactly {@code header.bodyLength()}
     * bytes from its position).
     *
     * @throws ProtocolException with status {@link Status#UNSUPPORTED_VERSION} for a frame of
     *     another protocol version, else {@link Status#PROTOCOL_ERROR}
     */
    public static Request decode(FrameHeader header, ByteBuffer body) throws ProtocolException {
        long id = header.requestId();
        if (header.version() != Protocol.VERSION) {
            throw new UnsupportedVersionException(header.version(), id);
        }
        if (body.remaining() != header.bodyLength()) {
            throw new ProtocolException("header says " + header.bodyLength() + " body bytes, got " + body.remaining(), id);
        }
        MessageType type = MessageType.ofCode(header.type());
        if (type == null) {
            throw new ProtocolException(String.format("unknown request type 0x%04x", header.type()), id);
        }
        BodyReader r = new BodyReader(body, id);
        Request req = switch (type) {
            case HELLO -> new Request.Hello(r.string("namespace", 1, Protocol.MAX_NAMESPACE_BYTES),
                    r.string("client name", 0, Protocol.MAX_CLIENT_NAME_BYTES));
            case PING -> new Request.Ping();
            case STATS -> new Request.Stats();
            case ARENA -> new Request.Arena();
            case PIN -> new Request.Pin(keys(r));
            case UNPIN -> new Request.Unpin(r.u64("pin"));
            case REGISTER_REGION -> registerRegion(r);
            case UNREGISTER_REGION -> new Request.UnregisterRegion((int) r.u32("region"));
            case LOOKUP -> new Request.Lookup(keys(r));
            case LOOKUP_PREFIX -> new Request.LookupPrefix(keys(r));
            case DELETE -> new Request.Delete(keys(r));
            case COMMIT -> commit(r);
            case DUMP, LOAD -> transfer(type, r);
            case WAIT -> waitRequest(r);
        };
        r.end(type.name());
        return req;
    }

    private static Request registerRegion(BodyReader r) throws ProtocolException {
        long size = r.u64("region size");
        if (size <= 0) {
            throw r.fail("region size must be positive, got " + Long.toUnsignedString(size));
        }
        return new Request.RegisterRegion(size, r.string("region path", 1, Protocol.MAX_PATH_BYTES));
    }

    private static KeyArray keys(BodyReader r) throws ProtocolException {
        int n = r.count("key count", Protocol.MAX_KEYS);
        return keyBytes(r, n);
    }

    private static KeyArray keyBytes(BodyReader r, int n) throws ProtocolException {
        if (r.remaining() < (long) n * Protocol.KEY_BYTES) {
            throw r.fail(n + " keys need " + (long) n * Protocol.KEY_BYTES + " bytes but " + r.remaining() + " are left");
        }
        return new KeyArray(r.bytes(n * Protocol.KEY_BYTES, "keys"));
    }

    private static Request commit(BodyReader r) throws ProtocolException {
        int success = r.u8("success");
        if (success > 1) {
            throw r.fail("commit's success flag is 0 or 1, got " + success);
        }
        r.reserved(3, "commit's reserved bytes");
        return new Request.Commit(success == 1, keys(r));
    }

    private static Request transfer(MessageType type, BodyReader r) throws ProtocolException {
        int n = r.count("block count", Protocol.MAX_KEYS);
        r.reserved(4, type.name() + "'s reserved u32");
        long need = (long) n * (Protocol.KEY_BYTES + Protocol.SLICE_BYTES);
        if (r.remaining() != need) {
            throw r.fail(n + " blocks need " + need + " bytes of keys and slices, got " + r.remaining());
        }
        KeyArray keys = keyBytes(r, n);
        int[] regions = new int[n];
        int[] lengths = new int[n];
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            regions[i] = (int) r.u32("slice region");
            long length = r.u32("slice length");
            if (length > Integer.MAX_VALUE) {
                throw r.fail("slice " + i + " is " + length + " bytes, more than any block may be");
            }
            lengths[i] = (int) length;
            long offset = r.u64("slice offset");
            if (offset < 0) {
                throw r.fail("slice " + i + " has offset " + Long.toUnsignedString(offset) + ", past any region");
            }
            offsets[i] = offset;
        }
        SliceArray slices = new SliceArray(regions, lengths, offsets);
        return type == MessageType.DUMP ? new Request.Dump(keys, slices) : new Request.Load(keys, slices);
    }

    private static Request waitRequest(BodyReader r) throws ProtocolException {
        long timeout = r.u32("wait timeout");
        if (timeout > Protocol.MAX_WAIT_MILLIS) {
            throw r.fail("wait timeout is " + timeout + " ms; at most " + Protocol.MAX_WAIT_MILLIS + " are allowed");
        }
        int mode = r.u8("wait mode");
        if (mode > 1) {
            throw r.fail("wait mode is 0 (all) or 1 (any), got " + mode);
        }
        r.reserved(3, "wait's reserved bytes");
        int n = r.count("job count", Protocol.MAX_WAIT_JOBS);
        if (r.remaining() != n * 8) {
            throw r.fail(n + " job ids need " + n * 8 + " bytes, got " + r.remaining());
        }
        long[] jobs = new long[n];
        for (int i = 0; i < n; i++) {
            jobs[i] = r.u64("job id");
        }
        return new Request.Wait((int) timeout, mode == 1, jobs);
    }
}
