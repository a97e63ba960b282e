package io.spillway.cli.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
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
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;

/**
 * Load latency with and without GC copying, in one run. The p99 ratio is what the throttle
 * ({@code gc_max_bytes_per_sec}) is for.
 * <ol>
 *   <li>Fill a store (compaction threshold 0.5) and measure single-block loads of the blocks that
 *       will be kept, while every block is live: no segment is under the threshold, so the
 *       store's background GC has nothing to do and the store is idle.
 *   <li>Delete two blocks in three: every sealed segment falls to a third live.
 *   <li>At once, ask for a GC pass on a thread of its own, and measure the same loads until that
 *       call returns. The store's own GC thread may start the pass first (it runs every second);
 *       the call then waits for it, so the loads still span the compaction.
 *   <li>Take what the GC did from the store's {@code spillway.gc.*} counters over step 3, whichever
 *       thread ran it, and refuse a run in which it compacted nothing: its "during GC" figures
 *       would be an idle store's.
 * </ol>
 * Until 2026-12-07 the idle loads ran after the deletes, so the background GC compacted during
 * them and the measured pass found nothing left: the README's ratios of that time compared two
 * phases that both, or neither, overlapped the copying.
 */
public final class GcLatencyBenchmark {

    /** What the GC did during step 3, from the store's counters. */
    public record GcWork(long compactedSegments, long copiedBlocks, long bytesWritten, double seconds) {

        /** The change of the GC's counters in {@code StoreStats.counters()} from {@code before} to {@code after}. */
        static GcWork between(Map<String, Long> before, Map<String, Long> after, double seconds) {
            ToLongFunction<String> delta = k -> after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L);
            return new GcWork(delta.applyAsLong("gc.compacted.segments"), delta.applyAsLong("gc.compacted.blocks"),
                    delta.applyAsLong("gc.bytes.written"), seconds);
        }
    }

    /** p50/p99 in milliseconds, without and during GC, and what the GC did meanwhile. */
    public record Result(double p50Idle, double p99Idle, double p50Gc, double p99Gc, long loadsDuringGc, GcWork gc) {
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
            MemorySegment dst = arena.allocate(blockBytes, 4096);
            // 1.
            long[] idle = measure(store, kept, dst, 2000, null);
            // 2.
            Map<String, Long> before = store.stats().counters();
            long t0 = System.nanoTime();
            store.delete(dropped);
            // 3.
            Thread gc = Thread.ofPlatform().start(() -> {
                try {
                    store.gc(-1);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            long[] during = measure(store, kept, dst, Integer.MAX_VALUE, gc);
            gc.join();
            // 4.
            GcWork work = GcWork.between(before, store.stats().counters(), (System.nanoTime() - t0) / 1e9);
            if (work.compactedSegments() == 0) {
                throw new IllegalStateException("the GC compacted no segment while the loads ran (" + work
                        + "): the figures during GC would be an idle store's");
            }
            return new Result(pct(idle, 0.5), pct(idle, 0.99), pct(during, 0.5), pct(during, 0.99), during.length, work);
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
