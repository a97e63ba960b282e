package io.spillway.cli;

import io.spillway.engine.config.StoreConfig;
import io.spillway.server.Daemon;
import io.spillway.server.ServerOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway serve --config FILE [--socket PATH] [--metrics-port N]}: serves one store to the
 * processes of this host over a Unix socket with a shared-memory data plane (docs/protocol.md),
 * until SIGTERM or SIGINT, which drain the jobs in flight and close the store cleanly.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves one store to local processes (the Python client, engine connectors) over a Unix socket; "
                + "block data moves through shared memory. Runs until SIGTERM/SIGINT, which drain and close the store.")
final class ServeCommand extends CliCommand {

    @Mixin
    ConfigOption config;

    @Option(names = "--dir", paramLabel = "DIR", description = "The store directory (overrides the config's storage_backends).")
    Path dir;

    @Option(names = "--socket", paramLabel = "PATH",
            description = "The Unix socket (default: $XDG_RUNTIME_DIR/spillway/spillway.sock, else /tmp/spillway-<uid>/spillway.sock); "
                    + "its directory is created with mode 0750, the socket gets 0660.")
    Path socket;

    @Option(names = "--metrics-port", paramLabel = "N",
            description = "Serve Prometheus metrics (/metrics) and a health check (/health) on 127.0.0.1:N (0: any free port).")
    Integer metricsPort;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024", description = "Connections served at once (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Override
    public Integer call() throws Exception {
        StoreConfig.Builder b = config.load();
        if (dir != null) {
            b.storageBackend(dir);
        }
        StoreConfig storeConfig = b.build();
        ServerOptions options = ServerOptions.defaults(socket == null ? ServerOptions.defaultSocket() : socket)
                .withMetricsPort(metricsPort == null ? -1 : metricsPort).withMaxConnections(maxConnections);
        Daemon daemon = Daemon.start(storeConfig, options);
        daemon.closeOnShutdown();
        PrintWriter out = out();
        out.println("spillway serve: serving " + storeConfig.storageBackends() + " on " + daemon.server().socketPath()
                + (daemon.server().metricsPort() < 0 ? "" : ", metrics on http://127.0.0.1:" + daemon.server().metricsPort() + "/metrics"));
        out.flush();
        daemon.awaitStopped();
        return 0;
    }
}
