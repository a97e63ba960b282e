package io.spillway.server.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checked little-endian reads of a frame body: every read that would run past the end, a
 * reserved field that is not zero and invalid UTF-8 are {@link ProtocolException}s naming the
 * field, never a {@link java.nio.BufferUnderflowException}.
 */
final class BodyReader {

    private final ByteBuffer buf;
    private final long requestId;

    BodyReader(ByteBuffer body, long requestId) {
        this.buf = body.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.requestId = requestId;
    }

    private void need(int n, String field) throws ProtocolException {
        if (buf.remaining() < n) {
            throw fail(field + " needs " + n + " bytes but only " + buf.remaining() + " are left in the body");
        }
    }

    ProtocolException fail(String message) {
        return new ProtocolException(message, requestId);
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return Byte.toUnsignedInt(buf.get());
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        return Short.toUnsignedInt(buf.getShort());
    }

    long u32(String field) throws ProtocolException {
        need(4, field);
        return Integer.toUnsignedLong(buf.getInt());
    }

    long u64(String field) throws ProtocolException {
        need(8, field);
        return buf.getLong();
    }

    /** A u32 count in [0, max]. */
    int count(String field, int max) throws ProtocolException {
        long n = u32(field);
        if (n > max) {
            throw fail(field + " is " + n + "; at most " + max + " are allowed");
        }
        return (int) n;
    }

    /** {@code n} reserved bytes, which must all be zero. */
    void reserved(int n, String field) throws ProtocolException {
        need(n, field);
        for (int i = 0; i < n; i++) {
            if (buf.get() != 0) {
                throw fail(field + " is reserved and must be zero");
            }
        }
    }

    /** Copies {@code n} bytes out (the caller has bounded {@code n}). */
    byte[] bytes(int n, String field) throws ProtocolException {
        need(n, field);
        byte[] out = new byte[n];
        buf.get(out);
        return out;
    }

    int remaining() {
        return buf.remaining();
    }

    /** A u16-length-prefixed UTF-8 string of {@code min} to {@code max} bytes, strictly decoded. */
    String string(String field, int min, int max) throws ProtocolException {
        int n = u16(field + " length");
        if (n < min || n > max) {
            throw fail(field + " is " + n + " bytes; " + min + " to " + max + " are allowed");
        }
        need(n, field);
        ByteBuffer s = buf.slice(buf.position(), n);
        buf.position(buf.position() + n);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw fail(field + " is not valid UTF-8");
        }
    }

    /** Fails unless the body was consumed exactly. */
    void end(String what) throws ProtocolException {
        if (buf.hasRemaining()) {
            throw fail(what + " body has " + buf.remaining() + " bytes past its last field");
        }
    }
}
