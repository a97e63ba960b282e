package io.spillway.cli.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.GcReport;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load latency with and without GC copying, in one run: fills a store, deletes most blocks so
 * every segment falls under the compaction threshold, measures single-block load latency while
 * the store is idle, then again while a compaction pass copies the survivors forward (throttled
 * by {@code gc_max_bytes_per_sec}). The p99 ratio is what the throttle is for.
 */
public final class GcLatencyBenchmark {

    /** p50/p99 in milliseconds, without and during GC, and what the GC pass did. */
    public record Result(double p50Idle, double p99Idle, double p50Gc, double p99Gc, long loadsDuringGc, GcReport gc) {
    }

    private GcLatencyBenchmark() {
    }

    public static Result run(Path dir, StoreConfig.Builder base, int blocks, int blockBytes) throws IOException, InterruptedException {
        StoreConfig config = base.storageBackend(dir.resolve("data")).compactionThreshold(0.5).build();
        List<BlockKey> keys = new ArrayList<>();
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < blocks; i++) {
            parent = BlockKey.chain(parent, new int[] {i}, "gc-latency");
            keys.add(parent);
        }
        try (SegmentStore store = SegmentStore.open(config, new SimpleMeterRegistry()); Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(blockBytes, 4096);
            src.fill((byte) 7);
            for (int i = 0; i < blocks; i += 8) {
                List<BlockKey> batch = keys.subList(i, Math.min(blocks, i + 8));
                store.dump(batch, Collections.nCopies(batch.size(), src)).await();
            }
            List<BlockKey> kept = new ArrayList<>();
            List<BlockKey> dropped = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                (i % 3 == 0 ? kept : dropped).add(keys.get(i));
            }
            store.delete(dropped);
            MemorySegment dst = arena.allocate(blockBytes, 4096);
            long[] idle = measure(store, kept, dst, 2000, null);
            AtomicReference<GcReport> report = new AtomicReference<>();
            Thread gc = Thread.ofPlatform().start(() -> {
                try {
                    report.set(store.gc(-1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            long[] during = measure(store, kept, dst, Integer.MAX_VALUE, gc);
            gc.join();
            return new Result(pct(idle, 0.5), pct(idle, 0.99), pct(during, 0.5), pct(during, 0.99), during.length, report.get());
        }
    }

    /** Single-block loads of random kept keys: {@code count} of them, or until {@code until} ends. */
    private static long[] measure(SegmentStore store, List<BlockKey> keys, MemorySegment dst, int count, Thread until)
            throws InterruptedException {
        SplittableRandom r = new SplittableRandom(3);
        long[] nanos = new long[1 << 16];
        int n = 0;
        while (n < nanos.length && (until == null ? n < count : until.isAlive() || n < 50)) {
            BlockKey k = keys.get(r.nextInt(keys.size()));
            long t0 = System.nanoTime();
            TaskResult res = store.load(List.of(k), List.of(dst)).await();
            long dt = System.nanoTime() - t0;
            if (!res.allOk()) {
                throw new IllegalStateException("a load failed during the benchmark: " + res);
            }
            nanos[n++] = dt;
        }
        long[] out = Arrays.copyOf(nanos, n);
        Arrays.sort(out);
        return out;
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    /** Default sizing: 2 MiB blocks, 64 MiB segments. */
    public static StoreConfig.Builder defaults() {
        return StoreConfig.builder().segmentSize(ByteSize.ofMiB(64));
    }
}
