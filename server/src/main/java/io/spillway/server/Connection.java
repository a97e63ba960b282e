package io.spillway.server;

import io.spillway.server.protocol.FrameHeader;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.ProtocolException;
import io.spillway.server.protocol.Replies;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.RequestDecoder;
import io.spillway.server.protocol.Status;
import io.spillway.server.protocol.UnsupportedVersionException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, served by its own virtual thread: read a frame, decode it, handle it,
 * write the reply, in order, until the peer goes away or breaks the protocol.
 *
 * <p>Whatever ends the connection (the peer closing or dying, a protocol error, the daemon
 * closing it), the same last steps run: the session releases its regions and jobs, the channel
 * is closed, and the reason is logged. A protocol error gets a closing notice first (best effort).
 *
 * <p>Memory per connection is bounded by what the peer actually sends: a body buffer grows as
 * bytes arrive, up to {@link Protocol#MAX_REQUEST_BODY}, and only {@value #RETAINED_BODY} bytes
 * of it are kept between frames.
 */
final class Connection implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    private static final int RETAINED_BODY = 64 << 10;

    private final long id;
    private final SocketChannel channel;
    private final PeerCredentials peer;
    private final ServerState state;
    private final Session session;
    private final ByteBuffer header = ByteBuffer.allocate(Protocol.HEADER_BYTES);
    private final ByteBuffer retained = ByteBuffer.allocate(RETAINED_BODY);
    private final FrameWriter writer = new FrameWriter(RETAINED_BODY);
    /** System.nanoTime() when the current reply write started, 0 when not writing: read by the watchdog. */
    private volatile long writingSince;
    private volatile String closeReason;

    Connection(long id, SocketChannel channel, PeerCredentials peer, ServerState state) {
        this.id = id;
        this.channel = channel;
        this.peer = peer;
        this.state = state;
        this.session = new Session(id, peer, state);
    }

    long id() {
        return id;
    }

    @Override
    public void run() {
        String reason = "closed by the peer";
        try {
            serve();
        } catch (ProtocolException e) {
            state.protocolErrors.increment();
            reason = "protocol error: " + e.getMessage();
            LOG.warn("connection {} ({}): closing it for a protocol error: {}", id, peer, e.getMessage());
            sendClosing(e);
        } catch (EOFException e) {
            reason = "the peer closed the connection in the middle of a frame";
        } catch (ClosedChannelException e) {
            reason = closeReason != null ? closeReason : "closed by the daemon";
        } catch (IOException e) {
            reason = "connection error: " + e.getMessage();
        } catch (InterruptedException e) {
            reason = "the daemon is shutting down";
        } catch (RuntimeException e) {
            reason = "internal error: " + e;
            LOG.error("connection {} ({}): internal error; closing the connection", id, peer, e);
        } finally {
            session.close();
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("connection {}: close failed: {}", id, e.getMessage());
            }
            state.connectionClosed();
            LOG.info("connection {} ({}) closed: {}", id, peer, reason);
        }
    }

    private void serve() throws IOException, ProtocolException, InterruptedException {
        while (true) {
            header.clear();
            if (!readFully(header, true)) {
                return;
            }
            header.flip();
            FrameHeader h = FrameHeader.decode(header, Protocol.MAX_REQUEST_BODY);
            ByteBuffer body = readBody(h.bodyLength());
            Request request = RequestDecoder.decode(h, body);
            long t0 = System.nanoTime();
            ByteBuffer reply = session.handle(h.requestId(), request, writer);
            state.recordRequest(request.type(), System.nanoTime() - t0);
            write(reply);
        }
    }

    /** Fills {@code buf}; false at a clean end of stream before its first byte (when {@code atBoundary}). */
    private boolean readFully(ByteBuffer buf, boolean atBoundary) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                if (atBoundary && buf.position() == 0) {
                    return false;
                }
                throw new EOFException("end of stream after " + buf.position() + " of " + buf.limit() + " bytes");
            }
        }
        return true;
    }

    /** Reads a body of {@code length} bytes, growing the buffer only as bytes arrive. */
    private ByteBuffer readBody(int length) throws IOException {
        if (length <= RETAINED_BODY) {
            retained.clear().limit(length);
            readFully(retained, false);
            return retained.flip();
        }
        ByteBuffer buf = ByteBuffer.allocate(RETAINED_BODY * 4);
        while (true) {
            buf.limit(Math.min(buf.capacity(), length));
            readFully(buf, false);
            if (buf.position() == length) {
                return buf.flip();
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(length, (long) buf.capacity() * 4));
            bigger.put(buf.flip());
            buf = bigger;
        }
    }

    private void write(ByteBuffer reply) throws IOException {
        writingSince = Math.max(1, System.nanoTime());
        try {
            while (reply.hasRemaining()) {
                channel.write(reply);
            }
        } finally {
            writingSince = 0;
        }
    }

    private void sendClosing(ProtocolException e) {
        Status status = e instanceof UnsupportedVersionException ? Status.UNSUPPORTED_VERSION : Status.PROTOCOL_ERROR;
        try {
            write(Replies.closing(writer, e.requestId(), status, e.getMessage()));
        } catch (IOException ignored) {
            // best effort: the peer may be gone already
        }
    }

    /**
     * Closes the connection from outside its thread (a reply unread for too long, or shutdown):
     * the thread's blocked read or write fails and the usual last steps run.
     */
    void close(String reason) {
        closeReason = reason;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("connection {}: close failed: {}", id, e.getMessage());
        }
    }

    /** Closes the connection if a reply write has been blocked longer than {@code limitNanos}. */
    boolean closeIfStuck(long now, long limitNanos) {
        long since = writingSince;
        if (since != 0 && now - since > limitNanos) {
            LOG.warn("connection {} ({}): the peer has not read its reply for {} ms; closing the connection", id, peer,
                    (now - since) / 1_000_000);
            close("the peer did not read its reply in time");
            return true;
        }
        return false;
    }
}
