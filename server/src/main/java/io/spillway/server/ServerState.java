package io.spillway.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.spillway.engine.api.BlockStore;
import io.spillway.server.protocol.MessageType;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every connection of one daemon shares: the store, the options, the ids, the accounting of
 * connections, regions and jobs (the leak tests read it, and so does /metrics), and the
 * draining flag that shutdown raises.
 */
final class ServerState {

    private final BlockStore store;
    private final ServerOptions options;
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicLong jobIds = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger regions = new AtomicInteger();
    private final AtomicLong regionBytes = new AtomicLong();
    private final AtomicInteger jobsInFlight = new AtomicInteger();
    private final AtomicInteger jobsUnreported = new AtomicInteger();
    private final AtomicInteger pins = new AtomicInteger();
    private final Object jobsDone = new Object();
    private volatile boolean draining;

    final Counter accepted;
    final Counter refused;
    final Counter protocolErrors;
    final Counter slowReaders;
    private final Map<MessageType, Timer> requestTimers = new EnumMap<>(MessageType.class);

    ServerState(BlockStore store, ServerOptions options, MeterRegistry registry) {
        this.store = store;
        this.options = options;
        Gauge.builder("spillway.server.connections", connections, AtomicInteger::get).description("open client connections")
                .register(registry);
        Gauge.builder("spillway.server.regions", regions, AtomicInteger::get).description("mapped shared-memory regions")
                .register(registry);
        Gauge.builder("spillway.server.pins", pins, AtomicInteger::get).description("arena pins held by clients")
                .register(registry);
        Gauge.builder("spillway.server.region.bytes", regionBytes, AtomicLong::get).description("bytes of mapped regions")
                .baseUnit("bytes").register(registry);
        Gauge.builder("spillway.server.jobs.inflight", jobsInFlight, AtomicInteger::get).description("dumps and loads not yet complete")
                .register(registry);
        accepted = Counter.builder("spillway.server.connections.accepted").register(registry);
        refused = Counter.builder("spillway.server.connections.refused").description("over max connections").register(registry);
        protocolErrors = Counter.builder("spillway.server.protocol.errors").description("connections closed for a bad frame")
                .register(registry);
        slowReaders = Counter.builder("spillway.server.write.timeouts").description("connections closed for not reading replies")
                .register(registry);
        for (MessageType t : MessageType.values()) {
            requestTimers.put(t, Timer.builder("spillway.server.requests").tag("type", t.name().toLowerCase(Locale.ROOT))
                    .description("requests served, by type").register(registry));
        }
    }

    BlockStore store() {
        return store;
    }

    ServerOptions options() {
        return options;
    }

    long nextConnectionId() {
        return connectionIds.incrementAndGet();
    }

    long nextJobId() {
        return jobIds.incrementAndGet();
    }

    void recordRequest(MessageType type, long nanos) {
        requestTimers.get(type).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Counts a new connection unless the limit is reached. */
    boolean tryOpenConnection() {
        while (true) {
            int n = connections.get();
            if (n >= options.maxConnections()) {
                return false;
            }
            if (connections.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    void regionMapped(long bytes) {
        regions.incrementAndGet();
        regionBytes.addAndGet(bytes);
    }

    void regionUnmapped(long bytes) {
        regions.decrementAndGet();
        regionBytes.addAndGet(-bytes);
    }

    void jobStarted() {
        jobsInFlight.incrementAndGet();
    }

    void jobFinished() {
        if (jobsInFlight.decrementAndGet() == 0) {
            synchronized (jobsDone) {
                jobsDone.notifyAll();
            }
        }
    }

    /** A job was submitted: counted until WAIT reports it done or its connection ends. */
    void jobSubmitted() {
        jobsUnreported.incrementAndGet();
    }

    void jobsForgotten(int n) {
        jobsUnreported.addAndGet(-n);
    }

    /** Jobs submitted whose results no client has collected yet. */
    int jobsUnreported() {
        return jobsUnreported.get();
    }

    int connections() {
        return connections.get();
    }

    void pinTaken() {
        pins.incrementAndGet();
    }

    void pinReleased() {
        pins.decrementAndGet();
    }

    /** Arena pins held by all connections. */
    int pins() {
        return pins.get();
    }

    int regions() {
        return regions.get();
    }

    long regionBytes() {
        return regionBytes.get();
    }

    int jobsInFlight() {
        return jobsInFlight.get();
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    /** Waits until no job is in flight, at most {@code timeout}; returns whether none is. */
    boolean awaitNoJobs(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (jobsDone) {
            while (jobsInFlight.get() > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(jobsDone, left);
            }
        }
        return true;
    }
}
