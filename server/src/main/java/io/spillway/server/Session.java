package io.spillway.server;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.SharedArena;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.MessageType;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.Replies;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.ServerInfo;
import io.spillway.server.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's state and its requests: the namespace stated in HELLO, the regions it
 * registered, the jobs it submitted. Called only from the connection's own thread, one request
 * at a time; replies are in request order. Dumps and loads are in {@link Transfers}.
 *
 * <p>Every request is answered at once, except WAIT, which blocks this connection (and no other)
 * for at most the timeout it names. Errors that leave the connection usable (a bad slice, an
 * unknown region, a store error) are replies with a status; only protocol violations, found by
 * the decoder before a request gets here, close the connection.
 */
final class Session implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final long connectionId;
    private final PeerCredentials peer;
    private final ServerState state;
    private final Map<Integer, MappedRegion> regions = new HashMap<>();
    private final Transfers transfers;
    /** PIN ids to what they hold; released by UNPIN or when the connection ends. */
    private final Map<Long, SharedArena.Pin> pins = new HashMap<>();
    private long nextPinId;
    private int nextRegionId;
    private NamespaceKeys namespace;
    private String clientName = "";

    Session(long connectionId, PeerCredentials peer, ServerState state) {
        this.connectionId = connectionId;
        this.peer = peer;
        this.state = state;
        this.transfers = new Transfers(connectionId, state, regions);
    }

    /** Handles one request; the reply is valid until the next use of {@code w}. */
    ByteBuffer handle(long requestId, Request request, FrameWriter w) throws InterruptedException {
        MessageType type = request.type();
        if (namespace == null && type != MessageType.HELLO && type != MessageType.PING) {
            return Replies.error(w, type, requestId, Status.HELLO_REQUIRED, "send HELLO with your namespace before " + type);
        }
        BlockStore store = state.store();
        try {
            return switch (request) {
                case Request.Hello h -> hello(requestId, h, w);
                case Request.Ping p -> Replies.empty(w, type, requestId);
                case Request.RegisterRegion r -> register(requestId, r, w);
                case Request.UnregisterRegion u -> unregister(requestId, u, w);
                case Request.Lookup l -> {
                    BitSet hits = store.lookup(namespace.keys(l.keys()));
                    yield Replies.lookup(w, requestId, l.keys().count(), hits);
                }
                case Request.LookupPrefix l -> Replies.u32(w, type, requestId, store.lookupPrefix(namespace.keys(l.keys())));
                case Request.Commit c -> Replies.u32(w, type, requestId, store.commit(namespace.keys(c.keys()), c.success()));
                case Request.Delete d -> Replies.u32(w, type, requestId, store.delete(namespace.keys(d.keys())));
                case Request.Transfer t -> transfers.submit(requestId, t, namespace.keys(t.keys()), w);
                case Request.Wait wt -> Replies.waitReply(w, requestId, transfers.await(wt));
                case Request.Stats s -> Replies.stats(w, requestId, StatsJson.render(store.stats(), state, connectionId,
                        regions.size(), transfers.jobCount()));
                case Request.Arena a -> {
                    SharedArena arena = arena();
                    yield Replies.arena(w, requestId, arena.size(), arena.id(), arena.pageSize(), arena.path().toString());
                }
                case Request.Pin p -> pin(requestId, p, w);
                case Request.Unpin u -> unpin(requestId, u, w);
            };
        } catch (RegionException e) {
            return Replies.error(w, type, requestId, e.status(), e.getMessage());
        } catch (IOException e) {
            return Replies.error(w, type, requestId, Status.STORE_ERROR, "the store failed: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return Replies.error(w, type, requestId, Status.BAD_REQUEST, e.getMessage());
        } catch (IllegalStateException e) {
            // The store refuses work once closed, which happens only while the daemon shuts down.
            if (state.draining()) {
                return Replies.error(w, type, requestId, Status.SHUTTING_DOWN, e.getMessage());
            }
            LOG.error("connection {}: {} failed", connectionId, type, e);
            return Replies.error(w, type, requestId, Status.INTERNAL, type + " failed in the daemon: " + e);
        }
    }

    private ByteBuffer hello(long requestId, Request.Hello h, FrameWriter w) {
        if (namespace != null) {
            return Replies.error(w, MessageType.HELLO, requestId, Status.BAD_REQUEST, "HELLO was already sent on this connection"
                    + " (namespace '" + namespace.namespace() + "'); open another connection for another namespace");
        }
        namespace = new NamespaceKeys(h.namespace());
        clientName = h.clientName();
        LOG.info("connection {}: hello from {} ({}), namespace '{}'", connectionId, clientName.isEmpty() ? "a client" : "'" + clientName + "'",
                peer, h.namespace());
        BlockStore store = state.store();
        ServerInfo info = new ServerInfo(Protocol.VERSION, ProcessHandle.current().pid(), connectionId,
                store.config().timeout().toMillis(), Protocol.MAX_KEYS, Protocol.MAX_REQUEST_BODY, BlockStore.MIN_BLOCK_BYTES,
                BlockStore.MAX_BLOCK_BYTES, state.options().maxRegionsPerConnection(), state.options().maxJobsPerConnection(),
                (int) store.config().alignment().bytes(), SpillwayServer.version());
        return Replies.hello(w, requestId, info);
    }

    private ByteBuffer register(long requestId, Request.RegisterRegion r, FrameWriter w) throws RegionException {
        if (regions.size() >= state.options().maxRegionsPerConnection()) {
            throw new RegionException(Status.BAD_REQUEST, "this connection has " + regions.size() + " regions, the most allowed;"
                    + " unregister one first");
        }
        MappedRegion region = MappedRegion.map(nextRegionId + 1, r.path(), r.size(), peer, state);
        nextRegionId++;
        regions.put(region.id(), region);
        LOG.debug("connection {}: registered {}", connectionId, region);
        return Replies.u32(w, MessageType.REGISTER_REGION, requestId, region.id());
    }

    private ByteBuffer unregister(long requestId, Request.UnregisterRegion u, FrameWriter w) throws RegionException {
        MappedRegion region = regions.remove(u.region());
        if (region == null) {
            throw new RegionException(Status.NO_SUCH_REGION, "region " + Integer.toUnsignedString(u.region())
                    + " is not registered on this connection");
        }
        region.unregister();
        LOG.debug("connection {}: unregistered {}", connectionId, region);
        return Replies.empty(w, MessageType.UNREGISTER_REGION, requestId);
    }

    private SharedArena arena() throws RegionException {
        return state.store().sharedArena().orElseThrow(() -> new RegionException(Status.NO_ARENA, "this daemon's store has no DRAM"
                + " tier (store_pipeline " + state.store().config().storePipeline() + "): there is no arena; LOAD the blocks instead"));
    }

    private ByteBuffer pin(long requestId, Request.Pin p, FrameWriter w) throws RegionException, IOException {
        SharedArena arena = arena();
        if (pins.size() >= state.options().maxJobsPerConnection()) {
            throw new RegionException(Status.BUSY, "this connection holds " + pins.size() + " pins, the most allowed; UNPIN some first");
        }
        SharedArena.Pin pin = arena.pin(namespace.keys(p.keys()));
        long id = 0;
        if (pin.held() == 0) {
            pin.close();
        } else {
            id = ++nextPinId;
            pins.put(id, pin);
            state.pinTaken();
        }
        return Replies.pin(w, requestId, id, pin);
    }

    private ByteBuffer unpin(long requestId, Request.Unpin u, FrameWriter w) throws RegionException {
        SharedArena.Pin pin = pins.remove(u.pin());
        if (pin == null) {
            throw new RegionException(Status.BAD_REQUEST, "pin " + Long.toUnsignedString(u.pin()) + " is not held on this connection");
        }
        pin.close();
        state.pinReleased();
        return Replies.empty(w, MessageType.UNPIN, requestId);
    }

    /**
     * Releases everything the connection held: its regions are unregistered (each unmapped now,
     * or when the last of its jobs completes, by the store's deadline at the latest), its arena
     * pins released (a client killed mid-copy holds no DRAM) and its jobs forgotten. Called once,
     * when the connection ends for any reason.
     */
    @Override
    public void close() {
        for (MappedRegion r : regions.values()) {
            r.unregister();
        }
        regions.clear();
        for (SharedArena.Pin pin : pins.values()) {
            pin.close();
            state.pinReleased();
        }
        pins.clear();
        transfers.forgetAll();
    }

    /** For the debug task log line of {@link Transfers}. */
    static void logFinished(long connectionId, long jobId, Task task, TaskResult r) {
        if (LOG.isDebugEnabled() && r != null) {
            LOG.debug("Task({}, {}, {}, {}) finished, elapsed {} s (job {} of connection {})", task.id(), task.kind(), task.size(),
                    r.bytes(), String.format("%.6f", r.elapsed().toNanos() / 1e9), jobId, connectionId);
        }
    }
}
