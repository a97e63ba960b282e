package io.spillway.server.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 24-byte header of every frame, requests and replies alike. Little-endian:
 * <pre>
 *   offset  size  field
 *        0     4  magic       ASCII "SPWY" ({@link Protocol#MAGIC})
 *        4     2  version     the protocol version of this frame ({@link Protocol#VERSION})
 *        6     2  type        a {@link MessageType} code; a reply sets {@link Protocol#REPLY_BIT}
 *        8     8  request id  chosen by the client; the reply carries the same id
 *       16     4  body length bytes that follow the header
 *       20     4  flags       reserved, must be 0
 * </pre>
 *
 * @param version the frame's protocol version (checked by {@link RequestDecoder})
 * @param type the type code (checked by {@link RequestDecoder})
 * @param requestId the client's id for the request
 * @param bodyLength bytes of the body
 */
public record FrameHeader(int version, int type, long requestId, int bodyLength) {

    /**
     * Decodes a header, checking what can be checked before the body is read: the magic, the
     * flags and the body length against {@code maxBody} (so no allocation is ever driven by an
     * unchecked length).
     *
     * @param buf exactly {@link Protocol#HEADER_BYTES} bytes, from its position
     */
    public static FrameHeader decode(ByteBuffer buf, int maxBody) throws ProtocolException {
        if (buf.remaining() < Protocol.HEADER_BYTES) {
            throw new ProtocolException("a frame header is " + Protocol.HEADER_BYTES + " bytes, got " + buf.remaining());
        }
        ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != Protocol.MAGIC) {
            throw new ProtocolException(String.format("bad magic 0x%08x (want 0x%08x, ASCII \"SPWY\")", magic, Protocol.MAGIC));
        }
        int version = Short.toUnsignedInt(b.getShort(4));
        int type = Short.toUnsignedInt(b.getShort(6));
        long requestId = b.getLong(8);
        long length = Integer.toUnsignedLong(b.getInt(16));
        int flags = b.getInt(20);
        if (flags != 0) {
            throw new ProtocolException(String.format("frame flags are reserved and must be 0, got 0x%08x", flags), requestId);
        }
        if (length > maxBody) {
            throw new ProtocolException("body of " + length + " bytes exceeds the limit of " + maxBody, requestId);
        }
        return new FrameHeader(version, type, requestId, (int) length);
    }

    /** Writes this header at {@code buf}'s position (advancing it); {@code buf} must be little-endian. */
    public void encode(ByteBuffer buf) {
        if (buf.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("frames are little-endian");
        }
        buf.putInt(Protocol.MAGIC).putShort((short) version).putShort((short) type).putLong(requestId).putInt(bodyLength).putInt(0);
    }
}
