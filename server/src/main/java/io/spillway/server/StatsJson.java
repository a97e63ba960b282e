package io.spillway.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spillway.engine.api.StoreStats;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The STATS reply's JSON: {@code store} (the store's {@link StoreStats}), {@code server} (the
 * daemon's connections, regions and jobs) and {@code connection} (the asking connection's own).
 * Non-finite numbers (a hit ratio before any lookup) are written as null, which JSON allows and
 * NaN is not.
 */
final class StatsJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StatsJson() {
    }

    static String render(StoreStats s, ServerState state, long connectionId, int regions, int jobs) {
        Map<String, Object> store = new LinkedHashMap<>();
        store.put("blocks", s.blocks());
        store.put("segments", s.segments());
        store.put("allocated_bytes", s.allocatedBytes());
        store.put("live_bytes", s.liveBytes());
        store.put("direct_io", s.directIo());
        store.put("hit_ratio", finite(s.hitRatio()));
        store.put("counters", s.counters());
        Map<String, Object> latency = new LinkedHashMap<>();
        s.latencyMillis().forEach((k, v) -> latency.put(k, finite(v)));
        store.put("latency_ms", latency);
        store.put("config", s.config());
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("version", SpillwayServer.version());
        server.put("pid", ProcessHandle.current().pid());
        server.put("connections", state.connections());
        server.put("regions", state.regions());
        server.put("region_bytes", state.regionBytes());
        server.put("jobs_in_flight", state.jobsInFlight());
        server.put("jobs_unreported", state.jobsUnreported());
        server.put("pins", state.pins());
        server.put("draining", state.draining());
        Map<String, Object> connection = new LinkedHashMap<>();
        connection.put("id", connectionId);
        connection.put("regions", regions);
        connection.put("jobs", jobs);
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("store", store);
        all.put("server", server);
        all.put("connection", connection);
        try {
            return JSON.writeValueAsString(all);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of numbers and strings always serialise", e);
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
