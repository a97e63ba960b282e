package io.spillway.server.client;

import io.spillway.server.protocol.FrameHeader;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.MessageType;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.ProtocolException;
import io.spillway.server.protocol.ReplyDecoder;
import io.spillway.server.protocol.ReplyException;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.RequestEncoder;
import io.spillway.server.protocol.ServerInfo;
import io.spillway.server.protocol.SliceArray;
import io.spillway.server.protocol.Status;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A Java client of the daemon (docs/protocol.md): one connection, one request at a time, every
 * call bounded by a timeout. The Python package is the main client; this one serves Java
 * processes that do not embed the store, the daemon's tests and its benchmark.
 *
 * <p>Errors: a refused request is a {@link ReplyException} with the daemon's status and message,
 * and the connection stays usable. A timeout, a closed or broken connection, or a malformed reply
 * is an {@link IOException}, after which the client is closed (a late reply would otherwise be
 * taken for the next request's).
 */
public final class DaemonClient implements AutoCloseable {

    private final SocketChannel channel;
    private final Selector selector;
    private final Duration timeout;
    private final FrameWriter writer = new FrameWriter(64 << 10);
    private final ByteBuffer header = ByteBuffer.allocate(Protocol.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ServerInfo info;
    private long nextRequestId;
    private boolean broken;

    private DaemonClient(SocketChannel channel, Selector selector, Duration timeout, String namespace, String clientName)
            throws IOException, ReplyException {
        this.channel = channel;
        this.selector = selector;
        this.timeout = timeout;
        this.info = call(new Request.Hello(namespace, clientName), timeout, ReplyDecoder::hello);
    }

    /**
     * Connects and says HELLO.
     *
     * @param timeout the default bound of every call
     */
    public static DaemonClient connect(Path socket, String namespace, String clientName, Duration timeout)
            throws IOException, ReplyException {
        Objects.requireNonNull(namespace, "namespace");
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, 0);
            return new DaemonClient(ch, sel, timeout, namespace, clientName);
        } catch (IOException | ReplyException | RuntimeException e) {
            if (sel != null) {
                sel.close();
            }
            ch.close();
            throw e;
        }
    }

    public ServerInfo info() {
        return info;
    }

    public void ping() throws IOException, ReplyException {
        call(new Request.Ping(), timeout, r -> {
            r.empty("PING");
            return null;
        });
    }

    public int registerRegion(Path file, long size) throws IOException, ReplyException {
        return (int) (long) call(new Request.RegisterRegion(size, file.toString()), timeout, r -> r.u32("region"));
    }

    public void unregisterRegion(int region) throws IOException, ReplyException {
        call(new Request.UnregisterRegion(region), timeout, r -> {
            r.empty("UNREGISTER_REGION");
            return null;
        });
    }

    public BitSet lookup(KeyArray keys) throws IOException, ReplyException {
        return call(new Request.Lookup(keys), timeout, r -> r.lookup(keys.count()));
    }

    public int lookupPrefix(KeyArray keys) throws IOException, ReplyException {
        return (int) (long) call(new Request.LookupPrefix(keys), timeout, r -> r.u32("hits"));
    }

    /** Submits a dump; the job id, for {@link #await}. */
    public long dump(KeyArray keys, SliceArray slices) throws IOException, ReplyException {
        return call(new Request.Dump(keys, slices), timeout, r -> r.u64("job"));
    }

    /** Submits a load; the job id, for {@link #await}. */
    public long load(KeyArray keys, SliceArray slices) throws IOException, ReplyException {
        return call(new Request.Load(keys, slices), timeout, r -> r.u64("job"));
    }

    /**
     * Waits up to {@code wait} for all (or, with {@code any}, one) of {@code jobs}; reports each
     * in order. A done job is reported once; asking again says UNKNOWN.
     */
    public List<JobReport> await(long[] jobs, Duration wait, boolean any) throws IOException, ReplyException {
        int ms = (int) Math.min(Protocol.MAX_WAIT_MILLIS, Math.max(0, wait.toMillis()));
        return call(new Request.Wait(ms, any, jobs), timeout.plusMillis(ms), r -> r.waitReply());
    }

    public int commit(KeyArray keys, boolean success) throws IOException, ReplyException {
        return (int) (long) call(new Request.Commit(success, keys), timeout, r -> r.u32("decided"));
    }

    public int delete(KeyArray keys) throws IOException, ReplyException {
        return (int) (long) call(new Request.Delete(keys), timeout, r -> r.u32("deleted"));
    }

    /** The STATS JSON. */
    public String stats() throws IOException, ReplyException {
        return call(new Request.Stats(), timeout, r -> r.stats());
    }

    /** How a call reads its reply's body. */
    @FunctionalInterface
    private interface Decode<T> {
        T apply(ReplyDecoder reply) throws ProtocolException;
    }

    private synchronized <T> T call(Request request, Duration limit, Decode<T> decode) throws IOException, ReplyException {
        if (broken) {
            throw new IOException("this client is closed (an earlier call failed or timed out); connect again");
        }
        long deadline = System.nanoTime() + limit.toNanos();
        long id = ++nextRequestId;
        boolean ok = false;
        try {
            ByteBuffer frame = RequestEncoder.encode(request, id, writer).finish();
            header.clear();
            try {
                transfer(frame, SelectionKey.OP_WRITE, deadline, request);
            } catch (IOException e) {
                // A daemon that refuses the connection (its connection limit) says why, then closes:
                // the notice may be waiting in the receive buffer even though the write failed.
                try {
                    transfer(header, SelectionKey.OP_READ, System.nanoTime() + 100_000_000L, request);
                } catch (IOException noNotice) {
                    throw e;
                }
            }
            transfer(header, SelectionKey.OP_READ, deadline, request);
            header.flip();
            FrameHeader h = FrameHeader.decode(header, Integer.MAX_VALUE);
            ByteBuffer body = ByteBuffer.allocate(h.bodyLength());
            transfer(body, SelectionKey.OP_READ, deadline, request);
            body.flip();
            if (h.type() == Protocol.CLOSING_TYPE) {
                try {
                    new ReplyDecoder(body, h.requestId());
                } catch (ReplyException e) {
                    throw new IOException("the daemon closed the connection: " + e.getMessage());
                }
                throw new IOException("the daemon closed the connection");
            }
            if (h.type() != request.type().replyCode() || h.requestId() != id) {
                throw new IOException(String.format("reply 0x%04x to request %d does not answer %s request %d", h.type(), h.requestId(),
                        request.type(), id));
            }
            T value = decode.apply(new ReplyDecoder(body, id));
            ok = true;
            return value;
        } catch (ReplyException e) {
            ok = e.status() != Status.UNSUPPORTED_VERSION;
            throw e;
        } catch (ProtocolException e) {
            throw new IOException("malformed reply from the daemon: " + e.getMessage(), e);
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    private void transfer(ByteBuffer buf, int op, long deadline, Request request) throws IOException {
        SelectionKey key = channel.keyFor(selector);
        while (buf.hasRemaining()) {
            int n = op == SelectionKey.OP_WRITE ? channel.write(buf) : channel.read(buf);
            if (n < 0) {
                throw new EOFException("the daemon closed the connection during " + request.type());
            }
            if (n == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException(request.type() + " timed out; the client is closed");
                }
                key.interestOps(op);
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
    }

    /** Closes the connection; the daemon releases its regions and forgets its jobs. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        broken = true;
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }

}
