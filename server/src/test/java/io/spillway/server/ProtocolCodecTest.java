package io.spillway.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.server.protocol.FrameHeader;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.ProtocolException;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.RequestDecoder;
import io.spillway.server.protocol.RequestEncoder;
import io.spillway.server.protocol.SliceArray;
import io.spillway.server.protocol.UnsupportedVersionException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The codec on its own: every request round-trips, and every kind of malformed frame is a ProtocolException. */
class ProtocolCodecTest {

    private static final KeyArray KEYS = ServerFixture.keys(1, 3);

    static final List<Request> SAMPLES = List.of(
            new Request.Hello("llama|bf16|tp=0/1", "vllm-0"),
            new Request.Ping(),
            new Request.Stats(),
            new Request.RegisterRegion(1 << 20, "/dev/shm/x"),
            new Request.UnregisterRegion(7),
            new Request.Lookup(KEYS),
            new Request.LookupPrefix(new KeyArray(new byte[0])),
            new Request.Delete(KEYS),
            new Request.Commit(true, KEYS),
            new Request.Dump(KEYS, ServerFixture.rows(1, 3, 4096, 0)),
            new Request.Load(KEYS, new SliceArray(new int[] {1, 2, 1}, new int[] {4096, 8192, 4096}, new long[] {0, 4096, 1L << 40})),
            new Request.Wait(250, true, new long[] {1, 2, Long.MAX_VALUE}));

    private static ByteBuffer frame(Request r, long id) {
        return RequestEncoder.encode(r, id, new FrameWriter(64)).finish();
    }

    private static Request decode(ByteBuffer frame) throws ProtocolException {
        FrameHeader h = FrameHeader.decode(frame, Protocol.MAX_REQUEST_BODY);
        return RequestDecoder.decode(h, frame.slice(Protocol.HEADER_BYTES, frame.remaining() - Protocol.HEADER_BYTES));
    }

    @Test
    void everyRequestRoundTrips() throws ProtocolException {
        long id = 41;
        for (Request r : SAMPLES) {
            ByteBuffer f = frame(r, ++id);
            assertEquals(id, FrameHeader.decode(f, Protocol.MAX_REQUEST_BODY).requestId());
            assertEquals(r, decode(f), r.type().name());
        }
    }

    /** Patches one byte of an encoded frame (or its body length) and expects a refusal naming the problem. */
    private static void assertRefused(Request r, int at, int value, String expectedWords) {
        ByteBuffer f = frame(r, 9);
        byte[] b = new byte[f.remaining()];
        f.get(b);
        b[at] = (byte) value;
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(ByteBuffer.wrap(b)));
        assertTrue(e.getMessage().contains(expectedWords), e.getMessage());
    }

    @Test
    void malformedHeadersAreRefused() {
        assertRefused(new Request.Ping(), 0, 'X', "bad magic");
        assertRefused(new Request.Ping(), 20, 1, "flags are reserved");
        assertRefused(new Request.Ping(), 6, 0x7f, "unknown request type");
        ByteBuffer big = ByteBuffer.allocate(Protocol.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        new FrameHeader(1, 2, 3, Protocol.MAX_REQUEST_BODY + 1).encode(big);
        big.flip();
        assertTrue(assertThrows(ProtocolException.class, () -> FrameHeader.decode(big, Protocol.MAX_REQUEST_BODY))
                .getMessage().contains("exceeds the limit"));
    }

    @Test
    void anotherVersionIsNamedAsSuch() {
        ByteBuffer f = frame(new Request.Hello("ns", ""), 5);
        f.putShort(4, (short) 2);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(f));
        assertInstanceOf(UnsupportedVersionException.class, e);
        assertEquals(5, e.requestId());
    }

    @Test
    void malformedBodiesAreRefused() {
        int body = Protocol.HEADER_BYTES;
        assertRefused(new Request.Commit(true, KEYS), body, 2, "success flag");
        assertRefused(new Request.Commit(true, KEYS), body + 2, 1, "reserved");
        assertRefused(new Request.Dump(KEYS, ServerFixture.rows(1, 3, 4096, 0)), body + 4, 1, "reserved");
        assertRefused(new Request.Dump(KEYS, ServerFixture.rows(1, 3, 4096, 0)), body, 4, "need");
        assertRefused(new Request.Lookup(KEYS), body + 3, 0x7f, "at most");
        assertRefused(new Request.Wait(1, false, new long[] {1}), body + 4, 2, "wait mode");
        assertRefused(new Request.Wait(1, false, new long[] {1}), body + 2, 0x7f, "wait timeout");
        assertRefused(new Request.Hello("ns", ""), body + 2, 0xff, "UTF-8");
        assertRefused(new Request.Hello("ns", ""), body, 0, "namespace is 0 bytes");
        assertRefused(new Request.RegisterRegion(4096, "/dev/shm/x"), body + 7, 0x80, "positive");
        // a body longer than its fields say
        ByteBuffer f = frame(new Request.Ping(), 1);
        ByteBuffer longer = ByteBuffer.allocate(f.remaining() + 1).order(ByteOrder.LITTLE_ENDIAN).put(f).put((byte) 0).flip();
        longer.putInt(16, 1);
        assertTrue(assertThrows(ProtocolException.class, () -> decode(longer)).getMessage().contains("past its last field"));
    }

    /** The namespace mixing, against a vector computed independently (Python's hashlib; see spillway.keys.namespaced). */
    @Test
    void namespacedKeysMatchTheDocumentedDerivation() {
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        BlockKey stored = new NamespaceKeys("model=m|dtype=bf16").key(key, 0);
        assertArrayEquals(HexFormat.of().parseHex(NAMESPACED_VECTOR), stored.toBytes());
        assertTrue(!stored.equals(new NamespaceKeys("model=m|dtype=fp8").key(key, 0)));
    }

    /** hashlib.sha256(TAG + sha256(b"model=m|dtype=bf16").digest() + bytes(range(32))).hexdigest(). */
    private static final String NAMESPACED_VECTOR = "10729da4892d9aa93688edb4ac2e36ce80c78118c0718f6a0d8d95f9a37f110d";
}
