package io.spillway.cli;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.shared.SharedInspect;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway stats DIR}: opens the store in DIR and prints space, blocks, segments, hit
 * counters and config. Opening takes the store's lock, so it fails while another process has the
 * store open.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Prints a store's space, blocks, segments, hit counters and config.")
final class StatsCommand extends CliCommand {

    @Mixin
    StoreArguments store;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = out();
        if (SharedInspect.isShared(store.dir)) { // many writers (issue 15): read-only, then the writers
            StoreStats stats = SharedViews.stats(store.config.load().storageBackend(store.dir).build(), store.dir);
            out.println(json ? Json.write(asMap(store.dir, stats))
                    : text(store.dir, stats) + "\n\n" + SharedViews.writers(store.dir).stripTrailing());
            out.flush();
            return 0;
        }
        StoreStats stats;
        try (BlockStore s = BlockStore.open(store.existingStore())) {
            stats = s.stats();
        }
        out.println(json ? Json.write(asMap(store.dir, stats)) : text(store.dir, stats));
        out.flush();
        return 0;
    }

    static Map<String, Object> asMap(Path dir, StoreStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", dir.toString());
        m.put("blocks", s.blocks());
        m.put("segments", s.segments());
        m.put("allocated_bytes", s.allocatedBytes());
        m.put("live_bytes", s.liveBytes());
        m.put("direct_io", s.directIo());
        m.put("hit_ratio", s.hitRatio());
        m.put("write_amplification", s.writeAmplification());
        m.put("counters", new TreeMap<>(s.counters()));
        m.put("latency_ms", s.latencyMillis() == null ? Map.of() : new TreeMap<>(s.latencyMillis()));
        m.put("config", s.config());
        return m;
    }

    /** Aligned "name  value" lines in sections. */
    static String text(Path dir, StoreStats s) {
        Table t = new Table();
        t.section("store");
        t.row("directory", dir.toString());
        t.row("blocks", String.valueOf(s.blocks()));
        t.row("segments", String.valueOf(s.segments()));
        t.row("allocated", Units.bytes(s.allocatedBytes()) + " (" + s.allocatedBytes() + " bytes)");
        t.row("live", Units.bytes(s.liveBytes()) + " (" + s.liveBytes() + " bytes)"
                + (s.allocatedBytes() > 0 ? String.format(Locale.ROOT, ", %.1f%% of allocated", 100.0 * s.liveBytes() / s.allocatedBytes()) : ""));
        t.row("direct IO", s.directIo() ? "yes" : "no (buffered)");
        double hr = s.hitRatio();
        t.row("hit ratio", Double.isNaN(hr) ? "n/a (no lookups yet)" : String.format(Locale.ROOT, "%.3f", hr));
        double wa = s.writeAmplification();
        t.row("write amplification", Double.isNaN(wa) ? "n/a (nothing dumped yet)"
                : String.format(Locale.ROOT, "%.3f (bytes written by users and the GC / bytes users dumped)", wa));
        t.section("counters");
        new TreeMap<>(s.counters()).forEach((k, v) -> t.row(k, String.valueOf(v)));
        // Latencies cover this process only: all zero right after open, so shown only when measured.
        if (s.latencyMillis() != null && s.latencyMillis().values().stream().anyMatch(v -> v > 0)) {
            t.section("latency (this process, ms)");
            new TreeMap<>(s.latencyMillis()).forEach((k, v) -> t.row(k, String.format(Locale.ROOT, "%.3f", v)));
        }
        t.section("config");
        s.config().forEach(t::row);
        return t.toString();
    }

    /** Sections of two columns, the first padded to the widest name. */
    private static final class Table {
        private final StringBuilder sb = new StringBuilder();
        private final List<String[]> rows = new ArrayList<>();

        void section(String title) {
            rows.add(new String[] {title});
        }

        void row(String name, String value) {
            rows.add(new String[] {name, value});
        }

        @Override
        public String toString() {
            int width = rows.stream().filter(r -> r.length == 2).mapToInt(r -> r[0].length()).max().orElse(0);
            for (String[] r : rows) {
                if (r.length == 1) {
                    if (!sb.isEmpty()) {
                        sb.append('\n');
                    }
                    sb.append(r[0]).append('\n');
                } else {
                    sb.append("  ").append(r[0]).append(" ".repeat(width - r[0].length() + 2)).append(r[1]).append('\n');
                }
            }
            return sb.toString().stripTrailing();
        }
    }
}
