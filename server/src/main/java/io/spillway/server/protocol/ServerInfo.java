package io.spillway.server.protocol;

/**
 * The HELLO reply: what a client needs to know about the daemon and its limits. On the wire:
 * <pre>
 *   u16 version, u16 reserved, u32 daemon pid, u64 connection id, u32 job deadline ms,
 *   u32 max keys per request, u32 max request body bytes, u32 min block bytes, u32 max block bytes,
 *   u32 max regions per connection, u32 max jobs per connection, u32 store alignment, str daemon version
 * </pre>
 *
 * @param jobDeadlineMillis every job completes within this (the store's {@code timeout_ms})
 * @param alignment the store's payload alignment; page-aligned slices are the fast path
 */
public record ServerInfo(int version, long daemonPid, long connectionId, long jobDeadlineMillis, int maxKeys, int maxRequestBody,
                         int minBlockBytes, int maxBlockBytes, int maxRegions, int maxJobs, int alignment, String daemonVersion) {

    void encode(FrameWriter w) {
        w.u16(version).u16(0).u32(daemonPid).u64(connectionId).u32(jobDeadlineMillis).u32(maxKeys).u32(maxRequestBody)
                .u32(minBlockBytes).u32(maxBlockBytes).u32(maxRegions).u32(maxJobs).u32(alignment)
                .string(daemonVersion, Protocol.MAX_MESSAGE_BYTES);
    }

    static ServerInfo decode(BodyReader r) throws ProtocolException {
        int version = r.u16("version");
        r.reserved(2, "hello's reserved u16");
        return new ServerInfo(version, r.u32("pid"), r.u64("connection id"), r.u32("job deadline"), (int) r.u32("max keys"),
                (int) r.u32("max body"), (int) r.u32("min block"), (int) r.u32("max block"), (int) r.u32("max regions"),
                (int) r.u32("max jobs"), (int) r.u32("alignment"), r.string("daemon version", 0, Protocol.MAX_MESSAGE_BYTES));
    }
}
