package io.spillway.server.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Encodes requests, the inverse of {@link RequestDecoder}: the Java client uses it, and the fuzz
 * target checks that whatever decodes re-encodes to the same bytes (the encoding is canonical:
 * reserved fields are zero and lengths are exact).
 */
public final class RequestEncoder {

    private RequestEncoder() {
    }

    /** Writes the whole frame of {@code req} with {@code requestId} into {@code w}. */
    public static FrameWriter encode(Request req, long requestId, FrameWriter w) {
        w.start(req.type().code(), requestId);
        switch (req) {
            case Request.Hello h -> w.string(checked(h.namespace(), Protocol.MAX_NAMESPACE_BYTES, "namespace"), Protocol.MAX_NAMESPACE_BYTES)
                    .string(checked(h.clientName(), Protocol.MAX_CLIENT_NAME_BYTES, "client name"), Protocol.MAX_CLIENT_NAME_BYTES);
            case Request.Ping p -> { }
            case Request.Stats s -> { }
            case Request.Arena a -> { }
            case Request.Pin p -> keys(w, p.keys());
            case Request.Unpin u -> w.u64(u.pin());
            case Request.RegisterRegion r -> w.u64(r.size()).string(checked(r.path(), Protocol.MAX_PATH_BYTES, "path"), Protocol.MAX_PATH_BYTES);
            case Request.UnregisterRegion u -> w.u32(Integer.toUnsignedLong(u.region()));
            case Request.Lookup l -> keys(w, l.keys());
            case Request.LookupPrefix l -> keys(w, l.keys());
            case Request.Delete d -> keys(w, d.keys());
            case Request.Commit c -> keys(w.u8(c.success() ? 1 : 0).zeros(3), c.keys());
            case Request.Transfer t -> {
                SliceArray s = t.slices();
                if (s.count() != t.keys().count()) {
                    throw new IllegalArgumentException(t.keys().count() + " keys but " + s.count() + " slices");
                }
                w.u32(s.count()).u32(0).bytes(t.keys().bytes());
                for (int i = 0; i < s.count(); i++) {
                    w.u32(Integer.toUnsignedLong(s.regions()[i])).u32(Integer.toUnsignedLong(s.lengths()[i])).u64(s.offsets()[i]);
                }
            }
            case Request.Wait wt -> {
                w.u32(wt.timeoutMillis()).u8(wt.any() ? 1 : 0).zeros(3).u32(wt.jobs().length);
                for (long j : wt.jobs()) {
                    w.u64(j);
                }
            }
        }
        return w;
    }

    private static void keys(FrameWriter w, KeyArray k) {
        w.u32(k.count()).bytes(k.bytes());
    }

    private static String checked(String s, int maxBytes, String what) {
        if (s.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new IllegalArgumentException(what + " is longer than " + maxBytes + " UTF-8 bytes");
        }
        return s;
    }
}
