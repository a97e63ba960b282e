package io.spillway.cli;

import io.spillway.cli.bench.Latencies;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.StoreStats;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway demo}: a simulated inference workload against a real store.
 *
 * <p>Round 1 plays the first turn of every request, as an inference engine's KV connector would: a
 * prefix lookup, a load of the hit blocks (each byte checked against the content derived from the
 * key, {@link BlockContent}) and a dump of the blocks after the hit. Round 2 replays every request with a
 * follow-up: it prints UCM-style {@code request i: total_blocks_num T, hit external H} lines, loads
 * the hit blocks and checks every byte, then dumps the new blocks. Tasks are pipelined a few at a
 * time. The load figures are round 2's; round 1's wall time, its dump figure's, includes its loads.
 *
 * <p>Exit code 1 when any byte mismatches or any task ends with a block not OK. BUSY, the store's
 * backpressure (a {@code Cache|Disk} DRAM tier full of blocks not yet written back), is counted
 * and reported, not failed: a connector skips such a block, as the engine then recomputes it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Simulates an inference workload with real KV geometry: round 1 looks up the KV blocks of requests "
                + "that share prefixes, loads the hits and dumps the rest; round 2 replays them with new turns, loads the "
                + "hits and dumps the new blocks. Every loaded byte is verified.",
                "Uses a fresh store in a temporary directory unless --dir is given."})
final class DemoCommand extends CliCommand {

    /** Tasks in flight at once: enough to keep the store's IO threads busy on a small host. */
    private static final int WINDOW = 4;
    /** The demo's segment size when the config leaves the 1 GiB default: a small store fills a few. */
    private static final ByteSize DEMO_SEGMENT_SIZE = ByteSize.ofMiB(256);
    private static final long ALIGNMENT = 4096;
    private static final int MISMATCHES_SHOWN = 5;

    @Option(names = "--dir", paramLabel = "D", description = "Store directory, kept afterwards (default: a temporary directory, deleted).")
    Path dir;

    @Option(names = "--model", paramLabel = "M", defaultValue = "llama-3.1-8b", converter = Units.ModelConverter.class,
            completionCandidates = Units.ModelIds.class, description = "Model geometry: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ModelPreset model;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "32", description = "Requests per round (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Workload seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ConfigOption config;

    private PrintWriter out;
    private PrintWriter err;

    private final Latencies dumpLatency = new Latencies();
    /** Round 2's loads (round 1's are counted in {@link #verified} and its own line). */
    private Latencies loadLatency = new Latencies();
    private long dumpedBytes;
    private long dumpedBlocks;
    private long deduplicated;
    private long loadedBytes;
    private long verified;
    private long verifiedInRoundOne;
    private long mismatches;
    private long busyBlocks;
    private long failedBlocks;
    /** This round's loads of looked-up blocks that ended MISSING; {@link #missingShown} holds the first few. */
    private long missingLoads;
    private final List<String> missingShown = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (requests < 1 || requests > 100_000) {
            throw usageError("--requests must be between 1 and 100000, got " + requests);
        }
        out = out();
        err = err();
        DemoWorkload workload = DemoWorkload.generate(requests, seed, model.blockTokens(), model.namespace());
        boolean temporary = dir == null;
        Path storeDir = temporary ? Files.createTempDirectory("spillway-demo") : dir;
        // Ctrl-C skips the finally below: delete the temporary store on the way out anyway.
        // A temporary store's DRAM tier (Cache|Disk, default cache_path) is temporary too.
        Path cacheDir = Path.of("/dev/shm", storeDir.getFileName() + "-cache");
        Thread cleanup = new Thread(() -> {
            try {
                FileTrees.deleteRecursively(storeDir);
                FileTrees.deleteRecursively(cacheDir);
            } catch (IOException e) {
                System.err.println("could not delete the demo store " + storeDir + ": " + e);
            }
        }, "demo-cleanup");
        if (temporary) {
            Runtime.getRuntime().addShutdownHook(cleanup);
        }
        try {
            StoreConfig storeConfig = storeConfig(storeDir);
            if (temporary && storeConfig.storePipeline().hasCache() && storeConfig.cachePath().equals(DEFAULT_CACHE_PATH)) {
                storeConfig = storeConfig.toBuilder().cachePath(cacheDir).build();
            }
            return runDemo(workload, storeConfig, storeDir, temporary);
        } finally {
            if (temporary) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or about to
                }
                try {
                    FileTrees.deleteRecursively(storeDir);
                    FileTrees.deleteRecursively(cacheDir);
                } catch (IOException e) {
                    err.println("could not delete the demo store " + storeDir + ": " + e);
                }
            }
        }
    }

    private static final Path DEFAULT_CACHE_PATH = StoreConfig.builder().storageBackend(Path.of("x")).build().cachePath();

    private StoreConfig storeConfig(Path storeDir) {
        StoreConfig c = config.load().storageBackend(storeDir).kvBlockSize(ByteSize.ofBytes(model.kvBlockSize())).build();
        ByteSize defaultSegment = StoreConfig.builder().storageBackend(storeDir).build().segmentSize();
        return c.segmentSize().equals(defaultSegment) ? c.toBuilder().segmentSize(DEMO_SEGMENT_SIZE).build() : c;
    }

    private int runDemo(DemoWorkload workload, StoreConfig storeConfig, Path storeDir, boolean temporary)
            throws IOException, InterruptedException {
        long blockSize = model.kvBlockSize();
        out.printf("model %s: %s, kv_block_size %s%n", model.id(), model.geometry(), ByteSize.ofBytes(blockSize));
        out.printf("workload: %d requests over %d shared prefixes, seed %d: %d distinct blocks (%s) in round 1%n",
                requests, workload.prefixCount(), seed, workload.distinctFirstTurnBlocks(),
                Units.bytes(workload.distinctFirstTurnBlocks() * blockSize));
        out.flush();
        Duration dumpWall;
        Duration loadWall;
        long secondHits = 0;
        try (BlockStore store = BlockStore.open(storeConfig)) {
            StoreStats opened = store.stats();
            out.printf("store %s: segment_size %s, direct IO %s%n", storeDir, storeConfig.segmentSize(), opened.directIo() ? "yes" : "no");
            out.flush();

            long evictedBefore = evictedSegments(store);
            dumpWall = roundOne(store, workload);
            judgeMissingLoads("round 1", evictedSegments(store) > evictedBefore);

            evictedBefore = evictedSegments(store);
            int[] hits = new int[requests];
            for (DemoWorkload.Request r : workload.requests()) {
                hits[r.id()] = store.lookupPrefix(r.secondTurnKeys());
                secondHits += hits[r.id()];
                out.printf("request %d: total_blocks_num %d, hit external %d%n", r.id(), r.secondTurnKeys().size(), hits[r.id()]);
            }
            out.flush();
            loadWall = roundTwoLoads(store, workload, hits);
            judgeMissingLoads("round 2", evictedSegments(store) > evictedBefore);
            dumpWall = dumpWall.plus(roundTwoDumps(store, workload, hits));

            StoreStats stats = store.stats();
            out.printf("store: %d blocks in %d segments, %s allocated, %s live%n", stats.blocks(), stats.segments(),
                    Units.bytes(stats.allocatedBytes()), Units.bytes(stats.liveBytes()));
            if (storeConfig.storePipeline().hasCache()) {
                Map<String, Long> c = stats.counters();
                out.printf("DRAM tier (%s, %s): %d hits, %d misses, %d promotions, %d evictions, %d blocks written back, %s%n",
                        storeConfig.storePipeline().configName(), storeConfig.cachePath(), c.getOrDefault("cache.hits", 0L),
                        c.getOrDefault("cache.misses", 0L), c.getOrDefault("cache.promotions", 0L),
                        c.getOrDefault("cache.evictions", 0L), c.getOrDefault("writeback.blocks", 0L),
                        stats.config().getOrDefault("cache.state", "?"));
            }
        }
        long secondTotal = workload.secondTurnBlocks();
        out.printf("dump %s: %d blocks, %s in %s (%d deduplicated); task latency %s over %d tasks%n",
                Units.gbPerSecond(dumpedBytes, dumpWall), dumpedBlocks, Units.bytes(dumpedBytes), Units.seconds(dumpWall),
                deduplicated, dumpLatency.summary(), dumpLatency.count());
        out.printf("load %s: %d blocks, %s in %s; task latency %s over %d tasks%n",
                Units.gbPerSecond(loadedBytes, loadWall), verified - verifiedInRoundOne, Units.bytes(loadedBytes), Units.seconds(loadWall),
                loadLatency.summary(), loadLatency.count());
        out.printf(Locale.ROOT, "hit ratio %.2f (%d of %d round-2 blocks)%n", secondTotal == 0 ? 0.0 : (double) secondHits / secondTotal,
                secondHits, secondTotal);
        out.printf("verified %d blocks, %d mismatches%n", verified, mismatches);
        if (busyBlocks > 0) {
            out.printf("%d blocks BUSY (the store's backpressure: not stored or not loaded, skipped as a connector would)%n",
                    busyBlocks);
        }
        if (!temporary) {
            out.printf("store kept in %s (see: spillway stats %s)%n", storeDir, storeDir);
        }
        out.flush();
        if (mismatches > 0 || failedBlocks > 0) {
            err.printf("demo FAILED: %d mismatched blocks, %d blocks not OK%n", mismatches, failedBlocks);
            err.flush();
            return SpillwayCli.EXIT_FAILURE;
        }
        return 0;
    }

    /** Round 1: per request, a prefix lookup, a load of the hit blocks, a dump of everything after them. */
    private Duration roundOne(BlockStore store, DemoWorkload workload) throws IOException, InterruptedException {
        long[] prefixHits = {0};
        long[] blocks = {0};
        Duration wall = windowed("round 1: dump", workload, r -> {
            List<BlockKey> keys = r.firstTurnKeys();
            int hit = store.lookupPrefix(keys);
            prefixHits[0] += hit;
            blocks[0] += keys.size();
            List<Pending> tasks = new ArrayList<>(2);
            if (hit > 0) {
                tasks.add(submitLoad(store, keys.subList(0, hit)));
            }
            if (hit < keys.size()) {
                tasks.add(submitDump(store, keys.subList(hit, keys.size())));
            }
            return tasks;
        });
        out.printf("round 1: %d requests, %d blocks: %d prefix hits (%d loaded and verified), %d dumped, %d deduplicated in flight%n",
                requests, blocks[0], prefixHits[0], verified, dumpedBlocks, deduplicated);
        out.flush();
        loadLatency = new Latencies();
        loadedBytes = 0;
        verifiedInRoundOne = verified;
        return wall;
    }

    /** Round 2, loads: the hit blocks of every request, each verified byte for byte. */
    private Duration roundTwoLoads(BlockStore store, DemoWorkload workload, int[] hits) throws IOException, InterruptedException {
        return windowed("round 2: load", workload, r -> {
            int hit = hits[r.id()];
            return hit > 0 ? List.of(submitLoad(store, r.secondTurnKeys().subList(0, hit))) : List.of();
        });
    }

    /** Round 2, dumps: every block after the hit (the new turn, plus anything the lookup missed). */
    private Duration roundTwoDumps(BlockStore store, DemoWorkload workload, int[] hits) throws IOException, InterruptedException {
        return windowed("round 2: dump", workload, r -> {
            List<BlockKey> keys = r.secondTurnKeys();
            int hit = hits[r.id()];
            return hit < keys.size() ? List.of(submitDump(store, keys.subList(hit, keys.size()))) : List.of();
        });
    }

    /** One request's tasks of a round, in submission order; empty when it has nothing to submit. */
    @FunctionalInterface
    private interface Submit {
        List<Pending> next(DemoWorkload.Request r) throws IOException;
    }

    /**
     * A round: submits each request's tasks, keeping fewer than {@link #WINDOW} in flight (the
     * oldest is finished first), then finishes the rest; returns the round's wall time.
     */
    private Duration windowed(String label, DemoWorkload workload, Submit submit) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Deque<Pending> inFlight = new ArrayDeque<>();
        try (ProgressBar bar = Progress.bar(label, requests, " req", 1)) {
            for (DemoWorkload.Request r : workload.requests()) {
                inFlight.addAll(submit.next(r));
                while (inFlight.size() >= WINDOW) {
                    finish(inFlight.poll());
                }
                bar.step();
            }
            while (!inFlight.isEmpty()) {
                finish(inFlight.poll());
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private Pending submitDump(BlockStore store, List<BlockKey> keys) {
        Arena arena = Arena.ofShared();
        List<MemorySegment> sources = new ArrayList<>(keys.size());
        for (BlockKey key : keys) {
            MemorySegment s = arena.allocate(model.kvBlockSize(), ALIGNMENT);
            BlockContent.fill(s, key);
            sources.add(s);
        }
        return new Pending(store.dump(keys, sources), arena, keys, sources);
    }

    private Pending submitLoad(BlockStore store, List<BlockKey> keys) {
        Arena arena = Arena.ofShared();
        List<MemorySegment> destinations = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            destinations.add(arena.allocate(model.kvBlockSize(), ALIGNMENT));
        }
        return new Pending(store.load(keys, destinations), arena, keys, destinations);
    }

    private void finish(Pending p) throws InterruptedException {
        if (p.task().kind() == Task.Kind.D2S) {
            finishDump(p);
        } else {
            finishLoad(p);
        }
    }

    private void finishDump(Pending p) throws InterruptedException {
        TaskResult result = p.task().await();
        dumpLatency.record(result.elapsed());
        dumpedBytes += result.bytes();
        deduplicated += result.deduplicated();
        dumpedBlocks += result.counts().getOrDefault(Outcome.OK, 0) - result.deduplicated();
        reportProblems(result, p.keys(), null);
        p.release();
    }

    private void finishLoad(Pending p) throws InterruptedException {
        TaskResult result = p.task().await();
        loadLatency.record(result.elapsed());
        loadedBytes += result.bytes();
        for (int i = 0; i < p.keys().size(); i++) {
            if (result.outcome(i) == Outcome.MISSING) {
                missingLoads++;
                if (missingShown.size() < MISMATCHES_SHOWN) {
                    missingShown.add("load of block " + p.keys().get(i).shortHex() + ": MISSING (" + result.details().get(i) + ")");
                }
            }
            if (result.outcome(i) != Outcome.OK) {
                continue;
            }
            verified++;
            long at = BlockContent.firstMismatch(p.buffers().get(i), p.keys().get(i));
            if (at >= 0) {
                mismatches++;
                if (mismatches <= MISMATCHES_SHOWN) {
                    err.printf("MISMATCH: block %s differs from what was dumped at byte %d%n", p.keys().get(i).shortHex(), at);
                }
            }
        }
        reportProblems(result, p.keys(), Outcome.MISSING);
        p.release();
    }

    /**
     * A looked-up block that the GC evicted before its load (a store at its capacity evicts
     * while the demo loads) loads MISSING, as a cache must: a miss, which an engine recomputes,
     * not a failure. Without an eviction since the round's first lookup, a MISSING load is a lost
     * block. Clears the round's count.
     */
    private void judgeMissingLoads(String round, boolean evictedSinceLookups) {
        if (missingLoads == 0) {
            return;
        }
        if (evictedSinceLookups) {
            out.printf("%s: %d looked-up blocks were evicted before their load (MISSING: misses, as an engine would recompute them)%n",
                    round, missingLoads);
        } else {
            failedBlocks += missingLoads;
            missingShown.forEach(err::println);
            err.flush();
        }
        missingLoads = 0;
        missingShown.clear();
    }

    private static long evictedSegments(BlockStore store) throws IOException {
        return store.stats().counters().getOrDefault("gc.evicted.segments", 0L);
    }

    /** Counts (and shows the first few of) the blocks of {@code result} that are not OK, other than {@code judgedLater}. */
    private void reportProblems(TaskResult result, List<BlockKey> keys, Outcome judgedLater) {
        if (result.allOk()) {
            return;
        }
        for (int i = 0; i < keys.size(); i++) {
            if (result.outcome(i) == Outcome.BUSY) {
                busyBlocks++;
            } else if (result.outcome(i) != Outcome.OK && result.outcome(i) != judgedLater) {
                failedBlocks++;
                if (failedBlocks <= MISMATCHES_SHOWN) {
                    err.printf("%s of block %s: %s%s%n", result.kind() == Task.Kind.D2S ? "dump" : "load", keys.get(i).shortHex(),
                            result.outcome(i), result.details().get(i) == null ? "" : " (" + result.details().get(i) + ")");
                }
            }
        }
        err.flush();
    }

    /** A submitted task and the native memory it reads or writes, freed once it is done. */
    private record Pending(Task task, Arena arena, List<BlockKey> keys, List<MemorySegment> buffers) {
        void release() {
            try {
                arena.close();
            } catch (IllegalStateException stillInUse) {
                // A timed-out task's IO may still hold the memory: leave it to the process exit.
            }
        }
    }
}
