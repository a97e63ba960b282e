package io.spillway.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.StoreLockedException;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code spillway serve} runs: opens the store, serves it, and on SIGTERM (or SIGINT) drains
 * and closes both.
 *
 * <p>Start, in order: open the store through {@link BlockStore#open} (any implementation; its
 * directory lock refuses a second daemon on the same store, and the error says so); bind the
 * socket (a live daemon on the same socket is refused too); serve. Stop ({@link #close}, also the
 * shutdown hook's): {@link SpillwayServer#close} (stop accepting, drain in-flight jobs, close
 * connections), then {@link BlockStore#close} (which makes durable what it holds and writes its
 * clean-shutdown marker).
 */
public final class Daemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final BlockStore store;
    private final SpillwayServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private Daemon(BlockStore store, SpillwayServer server) {
        this.store = store;
        this.server = server;
    }

    /** Opens the store of {@code config} and serves it as {@code options} say. */
    public static Daemon start(StoreConfig config, ServerOptions options) throws IOException {
        MeterRegistry registry = options.metricsPort() >= 0 ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)
                : new SimpleMeterRegistry();
        BlockStore store = openStore(config, registry);
        try {
            return new Daemon(store, SpillwayServer.start(store, options, registry));
        } catch (IOException | RuntimeException e) {
            try {
                store.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Opens the store; a store another process holds is refused with a message saying what to do. */
    static BlockStore openStore(StoreConfig config, MeterRegistry registry) throws IOException {
        try {
            return BlockStore.open(config, registry);
        } catch (StoreLockedException e) {
            throw new StoreLockedException(e.directory(), e.ownerPid().orElse(-1), "cannot serve: " + e.getMessage()
                    + ". A store has one owner: if that is another 'spillway serve', its clients should connect to its socket"
                    + " rather than start a second daemon on the same store");
        }
    }

    public SpillwayServer server() {
        return server;
    }

    public BlockStore store() {
        return store;
    }

    /** Makes SIGTERM and SIGINT drain and close the daemon (the JVM runs the hook, then exits). */
    public void closeOnShutdown() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("spillway-serve-shutdown").unstarted(() -> {
            LOG.info("shutting down: draining jobs in flight, then closing the store");
            try {
                close();
            } catch (IOException e) {
                LOG.error("closing the store failed: {}", e.getMessage());
            }
        }));
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Stops serving, then closes the store. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } finally {
            try {
                store.close();
            } finally {
                stopped.countDown();
            }
        }
    }
}
