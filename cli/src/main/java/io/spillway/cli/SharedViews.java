package io.spillway.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.shared.SharedInspect;
import io.spillway.engine.shared.SharedStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@code stats}, {@code fsck} and {@code inspect} show for a shared store (many writers,
 * {@code writers/<id>/} under the directory; issue 15): its writers with their leases, a check
 * of every writer's segments and manifest, and the stats a read-only opener sees. None takes a
 * writer's lock, so they run while the writers do.
 */
final class SharedViews {

    private SharedViews() {
    }

    /** {@code inspect DIR} of a shared store: one line per writer, and the GC owner. */
    static String writers(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("shared store ").append(dir).append(": GC owner ").append(SharedInspect.gcOwner(dir).orElse("(none)"))
                .append(", GC lease ").append(SharedInspect.gcLease(dir).isEmpty() ? "-" : SharedInspect.gcLease(dir).replaceFirst("^0+(?=.)", ""))
                .append('\n');
        sb.append(String.format("%-28s %6s %10s %-12s %-20s %6s %5s %10s %8s%n", "writer", "number", "lease", "process", "adopted by",
                "sealed", "open", "bytes", "manifest"));
        for (SharedInspect.Writer w : SharedInspect.writers(dir)) {
            sb.append(String.format("%-28s %6d %10s %-12s %-20s %6d %5d %10d %8s%n", w.id(), w.number(),
                    w.lease().isEmpty() ? "-" : w.lease().replaceFirst("^0+(?=.)", ""),
                    w.holderPid() == -1 ? "none" : "pid " + w.holderPid(), w.adoptedBy().isEmpty() ? "-" : w.adoptedBy(), w.sealed(),
                    w.open(), w.bytes(), w.manifestRecords() + (w.manifestTail() > 0 ? "+torn" : "")));
        }
        return sb.toString();
    }

    /** {@code fsck DIR} of a shared store; returns the exit code. */
    static int fsck(Path dir, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        List<SharedInspect.Writer> writers = SharedInspect.writers(dir);
        List<String> problems = SharedInspect.check(dir);
        out.printf("fsck %s (shared store): %d writers, %d sealed segments, %d problem(s) in %d ms%n", dir, writers.size(),
                writers.stream().mapToInt(SharedInspect.Writer::sealed).sum(), problems.size(), (System.nanoTime() - t0) / 1_000_000);
        for (String p : problems) {
            out.println("  problem: " + p);
        }
        out.flush();
        return problems.isEmpty() ? 0 : SpillwayCli.EXIT_FAILURE;
    }

    /**
     * {@code stats DIR} of a shared store: what a read-only opener sees (an index built in a
     * temporary local directory from every writer's manifest and footers), then the writers.
     */
    static StoreStats stats(StoreConfig config, Path dir) throws IOException {
        Path local = Files.createTempDirectory("spillway-stats-");
        try (SharedStore store = SharedStore.openReadOnly(config.toBuilder().indexPath(local.resolve("index")).build(),
                new SimpleMeterRegistry())) {
            return store.stats();
        } finally {
            try (Stream<Path> s = Files.walk(local)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
