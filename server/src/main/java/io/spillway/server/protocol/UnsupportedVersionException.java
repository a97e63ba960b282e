package io.spillway.server.protocol;

/** A frame of a protocol version this daemon does not speak (answered with {@link Status#UNSUPPORTED_VERSION}). */
public final class UnsupportedVersionException extends ProtocolException {

    public UnsupportedVersionException(int version, long requestId) {
        super("protocol version " + version + " is not supported; this daemon speaks version " + Protocol.VERSION, requestId);
    }
}
