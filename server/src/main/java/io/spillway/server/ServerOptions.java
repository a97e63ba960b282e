package io.spillway.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the daemon serves: where its socket is, its limits and its timeouts. The defaults suit
 * one host with a few engines; every limit exists so that a misbehaving client costs the daemon a
 * bounded amount.
 *
 * @param socket the Unix socket's path; its directory is created (mode 0750) if missing
 * @param metricsPort the loopback HTTP port for /metrics and /health; -1 for none, 0 for any free one
 * @param regionRoot shared-memory files must resolve to a path under this directory
 * @param maxConnections connections beyond this are closed at once, with a logged reason
 * @param maxRegionsPerConnection REGISTER_REGION beyond this is refused
 * @param maxJobsPerConnection jobs in flight or done but not yet reported; beyond it dumps and loads are BUSY
 * @param writeTimeout a reply the peer does not read within this closes its connection
 * @param drainGrace at shutdown, how long after the last job finished clients may still collect results
 */
public record ServerOptions(Path socket, int metricsPort, Path regionRoot, int maxConnections, int maxRegionsPerConnection,
                            int maxJobsPerConnection, Duration writeTimeout, Duration drainGrace) {

    /** Where the socket goes when none is given: {@code $XDG_RUNTIME_DIR/spillway/spillway.sock}, else {@code /tmp/spillway-<uid>/}. */
    public static Path defaultSocket() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank()) {
            return Path.of(runtime, "spillway", "spillway.sock");
        }
        return Path.of("/tmp", "spillway-" + currentUid(), "spillway.sock");
    }

    private static String currentUid() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return String.valueOf(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return System.getProperty("user.name", "user");
        }
    }

    public ServerOptions {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(regionRoot, "regionRoot");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        Objects.requireNonNull(drainGrace, "drainGrace");
        // sun_path holds 108 bytes with its terminating NUL.
        if (socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length > 107) {
            throw new IllegalArgumentException("socket path " + socket.toAbsolutePath() + " is longer than the 107 bytes a Unix socket"
                    + " path may have; choose a shorter --socket");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException("metrics port is 0 to 65535 (0: any free port), or -1 for none; got " + metricsPort);
        }
        positive(maxConnections, "maxConnections");
        positive(maxRegionsPerConnection, "maxRegionsPerConnection");
        positive(maxJobsPerConnection, "maxJobsPerConnection");
        if (writeTimeout.isNegative() || writeTimeout.isZero()) {
            throw new IllegalArgumentException("writeTimeout must be positive, got " + writeTimeout);
        }
        if (drainGrace.isNegative()) {
            throw new IllegalArgumentException("drainGrace must not be negative, got " + drainGrace);
        }
    }

    private static void positive(int v, String what) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + v);
        }
    }

    /** The defaults, serving on {@code socket}, without metrics. */
    public static ServerOptions defaults(Path socket) {
        return new ServerOptions(socket, -1, Path.of("/dev/shm"), 1024, 256, 4096, Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    public ServerOptions withMetricsPort(int port) {
        return new ServerOptions(socket, port, regionRoot, maxConnections, maxRegionsPerConnection, maxJobsPerConnection,
                writeTimeout, drainGrace);
    }

    public ServerOptions withMaxConnections(int n) {
        return new ServerOptions(socket, metricsPort, regionRoot, n, maxRegionsPerConnection, maxJobsPerConnection,
                writeTimeout, drainGrace);
    }

    public ServerOptions withMaxJobsPerConnection(int n) {
        return new ServerOptions(socket, metricsPort, regionRoot, maxConnections, maxRegionsPerConnection, n,
                writeTimeout, drainGrace);
    }
}
