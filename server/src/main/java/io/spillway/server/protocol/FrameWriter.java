package io.spillway.server.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds one frame: the header, then a body appended field by field (little-endian), the body
 * length patched in by {@link #finish()}. Grows as needed; one writer is reused frame after frame
 * by a connection, so replies cost no allocation once it has grown.
 */
public final class FrameWriter {

    private ByteBuffer buf;

    public FrameWriter(int initialCapacity) {
        buf = ByteBuffer.allocate(Math.max(Protocol.HEADER_BYTES, initialCapacity)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Starts a frame of {@code type} answering (or sending) {@code requestId}; discards any unfinished one. */
    public FrameWriter start(int type, long requestId) {
        buf.clear();
        new FrameHeader(Protocol.VERSION, type, requestId, 0).encode(buf);
        return this;
    }

    private void ensure(int n) {
        if (buf.remaining() < n) {
            long want = Math.max((long) buf.capacity() * 2, (long) buf.position() + n);
            if (want > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("frame too large: " + want + " bytes");
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }

    public FrameWriter u8(int v) {
        ensure(1);
        buf.put((byte) v);
        return this;
    }

    public FrameWriter u16(int v) {
        ensure(2);
        buf.putShort((short) v);
        return this;
    }

    public FrameWriter u32(long v) {
        ensure(4);
        buf.putInt((int) v);
        return this;
    }

    public FrameWriter u64(long v) {
        ensure(8);
        buf.putLong(v);
        return this;
    }

    public FrameWriter bytes(byte[] b) {
        ensure(b.length);
        buf.put(b);
        return this;
    }

    public FrameWriter zeros(int n) {
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf.put((byte) 0);
        }
        return this;
    }

    /**
     * A u16-length-prefixed UTF-8 string, cut at a character boundary to at most {@code maxBytes}
     * (messages are cut rather than refused: a long error message must never fail a reply).
     */
    public FrameWriter string(String s, int maxBytes) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, Math.min(maxBytes, 0xFFFF));
        while (n < b.length && n > 0 && (b[n] & 0xC0) == 0x80) {
            n--; // do not end inside a multi-byte character
        }
        u16(n);
        ensure(n);
        buf.put(b, 0, n);
        return this;
    }

    /** Bytes of the body so far. */
    public int bodyLength() {
        return buf.position() - Protocol.HEADER_BYTES;
    }

    /** Patches the body length and returns the frame, ready to write (valid until the next {@link #start}). */
    public ByteBuffer finish() {
        buf.putInt(16, bodyLength());
        return buf.duplicate().flip();
    }
}
