package io.spillway.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The optional HTTP endpoint, bound to loopback only: {@code GET /metrics} is the Prometheus text
 * of the store's and the daemon's meters, {@code GET /health} is 200 {@code serving} while the
 * daemon serves and its store answers, 503 otherwise (draining, or the store failing).
 */
final class MetricsEndpoint implements AutoCloseable {

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    MetricsEndpoint(int port, PrometheusMeterRegistry registry, ServerState state) throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        http.setExecutor(executor);
        http.createContext("/metrics", ex -> {
            if (getOnly(ex)) {
                respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        http.createContext("/health", ex -> {
            if (getOnly(ex)) {
                String problem = health(state);
                respond(ex, problem == null ? 200 : 503, "text/plain; charset=utf-8", problem == null ? "serving\n" : problem + "\n");
            }
        });
        http.start();
    }

    /** Null when healthy, else what is wrong. */
    private static String health(ServerState state) {
        if (state.draining()) {
            return "draining: the daemon is shutting down";
        }
        try {
            state.store().lookup(List.of());
            return null;
        } catch (IOException | RuntimeException e) {
            return "the store does not answer: " + e.getMessage();
        }
    }

    private static boolean getOnly(HttpExchange ex) throws IOException {
        if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
            respond(ex, 405, "text/plain; charset=utf-8", "only GET\n");
            return false;
        }
        return true;
    }

    private static void respond(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(code, head ? -1 : b.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
        ex.close();
    }

    /** The bound port (the chosen one when 0 was asked). */
    int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
