package io.spillway.fuzz.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.spillway.server.protocol.FrameHeader;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.ProtocolException;
import io.spillway.server.protocol.ReplyDecoder;
import io.spillway.server.protocol.ReplyException;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.RequestDecoder;
import io.spillway.server.protocol.RequestEncoder;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * The daemon's frame decoder under arbitrary bytes: a stream of frames is decoded the way a
 * connection decodes it. The only failure allowed is {@link ProtocolException} (which closes that
 * connection); any other exception, a hang or an allocation driven by an unchecked length (under
 * the 2 GiB heap) is a finding. A frame that decodes must re-encode to exactly its own bytes: the
 * encoding is canonical, so nothing the decoder accepts can mean two things.
 *
 * <p>The same bytes are also read as reply bodies, the way a client reads them, with the same rule.
 * The committed corpus ({@code ProtocolFuzzTestInputs/frames/}) holds one valid frame of every type.
 */
class ProtocolFuzzTest {

    private static final AtomicLong EXECUTIONS = new AtomicLong();

    @FuzzTest(maxDuration = "30s")
    void frames(byte[] input) {
        EXECUTIONS.incrementAndGet();
        ByteBuffer in = ByteBuffer.wrap(input);
        FrameWriter w = new FrameWriter(256);
        while (in.remaining() >= Protocol.HEADER_BYTES) {
            int start = in.position();
            FrameHeader h;
            try {
                h = FrameHeader.decode(in.slice(start, Protocol.HEADER_BYTES), Protocol.MAX_REQUEST_BODY);
            } catch (ProtocolException expected) {
                return; // the connection would close here
            }
            if (in.remaining() - Protocol.HEADER_BYTES < h.bodyLength()) {
                return; // the connection would wait for more bytes
            }
            ByteBuffer body = in.slice(start + Protocol.HEADER_BYTES, h.bodyLength());
            readAsReply(body.duplicate(), h.requestId());
            Request r;
            try {
                r = RequestDecoder.decode(h, body);
            } catch (ProtocolException expected) {
                return;
            }
            ByteBuffer again = RequestEncoder.encode(r, h.requestId(), w).finish();
            ByteBuffer original = in.slice(start, Protocol.HEADER_BYTES + h.bodyLength());
            if (!again.equals(original)) {
                throw new AssertionError("decoded " + r + " but it re-encodes to other bytes: the decoder accepts a"
                        + " non-canonical frame");
            }
            in.position(start + Protocol.HEADER_BYTES + h.bodyLength());
        }
    }

    /** A client reading these bytes as each kind of reply body: decoded or refused, nothing else. */
    private static void readAsReply(ByteBuffer body, long requestId) {
        for (int kind = 0; kind < 6; kind++) {
            try {
                ReplyDecoder d = new ReplyDecoder(body.duplicate(), requestId);
                switch (kind) {
                    case 0 -> d.hello();
                    case 1 -> d.waitReply();
                    case 2 -> d.lookup(body.remaining() >= 8 ? (int) Math.min(Protocol.MAX_KEYS, body.getInt(4) & 0xffffffffL) : 0);
                    case 3 -> d.stats();
                    case 4 -> d.u64("job");
                    default -> d.empty("PING");
                }
            } catch (ProtocolException | ReplyException expected) {
                // refused, as a client would
            }
        }
    }

    @AfterAll
    static void printCount() {
        System.out.println("[fuzz] ProtocolFuzzTest executions: " + EXECUTIONS.get());
    }
}
