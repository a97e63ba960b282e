package io.spillway.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.engine.api.BlockStore;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.Replies;
import io.spillway.server.protocol.Status;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code spillway serve} daemon: one {@link BlockStore} served to the processes of this host
 * over a Unix domain socket, with the data in shared memory the clients register (the protocol:
 * docs/protocol.md). The store is the caller's: it is opened before (its directory lock is what
 * refuses a second daemon on the same store) and closed after {@link #close}.
 *
 * <p>Threads: one platform thread accepts; each connection is served by its own virtual thread;
 * a watchdog closes connections whose peer stops reading replies. Nothing else runs per client.
 *
 * <p>Shutdown ({@link #close}, which the serve command's SIGTERM hook calls), in order:
 * <ol>
 *   <li>stop accepting and remove the socket file: new clients get "connection refused" or "no
 *       such file", never a hang;
 *   <li>drain: refuse new dumps and loads (SHUTTING_DOWN) while every other request is still
 *       served, and wait for the jobs in flight (each ends by the store's deadline);
 *   <li>give clients up to {@link ServerOptions#drainGrace} to collect the results of finished jobs;
 *   <li>close every connection (each releases its regions) and stop the metrics endpoint.
 * </ol>
 * The caller then closes the store, which persists what it holds.
 */
public final class SpillwayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpillwayServer.class);
    private static final int BACKLOG = 512;

    private final ServerState state;
    private final SocketFile socket;
    private final MetricsEndpoint metrics;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private final ScheduledExecutorService watchdog;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SpillwayServer(BlockStore store, ServerOptions options, MeterRegistry registry) throws IOException {
        this.state = new ServerState(store, options, registry);
        this.socket = SocketFile.bind(options.socket(), BACKLOG);
        MetricsEndpoint m = null;
        try {
            if (options.metricsPort() >= 0) {
                if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
                    throw new IllegalArgumentException("a metrics port needs a PrometheusMeterRegistry, got " + registry.getClass().getName());
                }
                m = new MetricsEndpoint(options.metricsPort(), prometheus, state);
            }
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        this.metrics = m;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spillway-serve-watchdog");
            t.setDaemon(true);
            return t;
        });
        long limit = options.writeTimeout().toNanos();
        watchdog.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            for (Connection c : connections) {
                if (c.closeIfStuck(now, limit)) {
                    state.slowReaders.increment();
                }
            }
        }, 200, 200, TimeUnit.MILLISECONDS);
        this.acceptor = Thread.ofPlatform().name("spillway-serve-accept").daemon(true).unstarted(this::acceptLoop);
    }

    /**
     * Binds the socket (and the metrics port) and starts serving {@code store}.
     *
     * @param registry the store's registry too, so /metrics shows both; a {@link
     *     PrometheusMeterRegistry} when {@code options.metricsPort() >= 0}
     */
    public static SpillwayServer start(BlockStore store, ServerOptions options, MeterRegistry registry) throws IOException {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
        SpillwayServer server = new SpillwayServer(store, options, registry);
        server.acceptor.start();
        LOG.info("serving {} on {}{}", store.config().storageBackends(), server.socket.path(),
                server.metrics == null ? "" : " (metrics and health on http://127.0.0.1:" + server.metrics.port() + "/)");
        return server;
    }

    /**
     * Runs {@link #acceptConnections} and, should it die of something unexpected (a class missing
     * from a trimmed runtime, a bug), logs it and closes the socket: clients then get a refused
     * connection at once instead of waiting out their timeout on a socket nobody accepts on.
     */
    private void acceptLoop() {
        try {
            acceptConnections();
        } catch (Throwable t) {
            LOG.error("the accept loop failed; this daemon accepts no more connections (stop it and start a new one)", t);
            try {
                socket.close();
            } catch (IOException | RuntimeException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }

    private void acceptConnections() {
        FrameWriter refusal = new FrameWriter(256);
        while (true) {
            SocketChannel ch;
            try {
                ch = socket.channel().accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // EMFILE and the like: keep serving the connections we have, and try again shortly.
                LOG.error("accept failed: {}", e.getMessage());
                sleepQuietly(100);
                continue;
            }
            if (!state.tryOpenConnection()) {
                state.refused.increment();
                LOG.warn("refusing a connection: {} are open, the most allowed", state.options().maxConnections());
                try (ch) {
                    ch.write(Replies.closing(refusal, 0, Status.BUSY, "the daemon serves at most " + state.options().maxConnections()
                            + " connections; try again later"));
                } catch (IOException ignored) {
                    // the peer may be gone already
                }
                continue;
            }
            state.accepted.increment();
            long id = state.nextConnectionId();
            try {
                PeerCredentials peer = PeerCredentials.of(ch);
                Connection c = new Connection(id, ch, peer, state);
                connections.add(c);
                LOG.info("connection {} from {}", id, peer);
                Thread.ofVirtual().name("spillway-conn-" + id).start(() -> {
                    try {
                        c.run();
                    } finally {
                        connections.remove(c);
                    }
                });
            } catch (IOException | RuntimeException e) {
                LOG.warn("connection {}: could not be set up: {}", id, e.toString());
                state.connectionClosed();
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }
    }

    /** The socket clients connect to. */
    public Path socketPath() {
        return socket.path();
    }

    /** The metrics port, or -1 when there is no endpoint. */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** A snapshot of what the daemon holds for its clients (the leak tests compare these). */
    public Holdings holdings() {
        return new Holdings(state.connections(), state.regions(), state.regionBytes(), state.jobsInFlight(), state.jobsUnreported());
    }

    /**
     * What the daemon holds for its clients.
     *
     * @param connections open connections
     * @param regions mapped regions
     * @param regionBytes bytes mapped
     * @param jobsInFlight jobs not yet complete
     * @param jobsUnreported jobs whose results no client has collected
     */
    public record Holdings(int connections, int regions, long regionBytes, int jobsInFlight, int jobsUnreported) {
        public static final Holdings NONE = new Holdings(0, 0, 0, 0, 0);
    }

    /** Drains and stops serving (the steps are in the class comment). Idempotent; does not close the store. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long t0 = System.nanoTime();
        socket.close();
        state.startDraining();
        int inFlight = state.jobsInFlight();
        try {
            Duration deadline = state.store().config().timeout().plusSeconds(1);
            if (!state.awaitNoJobs(deadline)) {
                LOG.error("{} jobs still in flight after {} ms (past the store's deadline)", state.jobsInFlight(), deadline.toMillis());
            }
            long graceEnd = System.nanoTime() + state.options().drainGrace().toNanos();
            while (state.jobsUnreported() > 0 && !connections.isEmpty() && System.nanoTime() < graceEnd) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Connection> open = List.copyOf(connections);
        for (Connection c : open) {
            c.close("the daemon is shutting down");
        }
        try {
            acceptor.join(1000);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!connections.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watchdog.shutdownNow();
        if (metrics != null) {
            metrics.close();
        }
        LOG.info("stopped serving after draining {} jobs and closing {} connections in {} ms", inFlight, open.size(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** The daemon's version (the jar's Implementation-Version), or "dev". */
    public static String version() {
        String v = SpillwayServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
