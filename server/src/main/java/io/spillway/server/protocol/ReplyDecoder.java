package io.spillway.server.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** Decodes reply bodies (a client's side): the inverse of {@link Replies}. */
public final class ReplyDecoder {

    private final BodyReader r;

    /**
     * Reads the status of a reply body.
     *
     * @throws ReplyException if the status is not OK (with its status and message)
     */
    public ReplyDecoder(ByteBuffer body, long requestId) throws ProtocolException, ReplyException {
        this.r = new BodyReader(body, requestId);
        long code = r.u32("status");
        if (code != Status.OK.code()) {
            Status status = Status.ofCode(code);
            String message = r.string("error message", 0, Protocol.MAX_MESSAGE_BYTES);
            throw new ReplyException(status, code, message);
        }
    }

    public ServerInfo hello() throws ProtocolException {
        return done(ServerInfo.decode(r), "HELLO");
    }

    public void empty(String what) throws ProtocolException {
        r.end(what);
    }

    public long u32(String what) throws ProtocolException {
        return done(r.u32(what), what);
    }

    public long u64(String what) throws ProtocolException {
        return done(r.u64(what), what);
    }

    public BitSet lookup(int expected) throws ProtocolException {
        int n = r.count("lookup count", Protocol.MAX_KEYS);
        if (n != expected) {
            throw r.fail("lookup reply has " + n + " bits for " + expected + " keys");
        }
        return done(BitSet.valueOf(r.bytes((n + 7) / 8, "bitmap")), "LOOKUP");
    }

    public List<JobReport> waitReply() throws ProtocolException {
        int n = r.count("job count", Protocol.MAX_WAIT_JOBS);
        List<JobReport> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(JobReport.decode(r));
        }
        return done(out, "WAIT");
    }

    public String stats() throws ProtocolException {
        int n = r.count("stats length", Integer.MAX_VALUE);
        return done(new String(r.bytes(n, "stats JSON"), StandardCharsets.UTF_8), "STATS");
    }

    private <T> T done(T value, String what) throws ProtocolException {
        r.end(what + " reply");
        return value;
    }
}
