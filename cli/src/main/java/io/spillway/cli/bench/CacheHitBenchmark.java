package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.CacheReader;
import io.spillway.engine.cache.CacheTier;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DRAM-hit loads against a plain memcpy of the same bytes, in the same run: the blocks of a
 * working set larger than the CPU caches sit in the arena; each mode reads them in random order,
 * one at a time on one thread, for at least {@code seconds}.
 * <ul>
 *   <li>memcpy: {@code MemorySegment.copy} from the slot's bytes (the reference);
 *   <li>reader: {@link CacheReader#read}, the cross-process path (index probe, sequence checks,
 *       CRC32C if on, copy);
 *   <li>task: {@link CacheTier#load} with one copy thread, one block per task, awaited (the
 *       {@code BlockStore} path, task overhead included).
 * </ul>
 * Every block is checked once per mode outside the timed loop.
 */
public final class CacheHitBenchmark {

    private CacheHitBenchmark() {
    }

    public static CacheBenchReport.HitResult run(Path shmDir, long blockSize, long workingSet, double seconds, long seed)
            throws IOException, InterruptedException {
        int n = (int) Math.max(2, workingSet / blockSize);
        List<BlockKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(KeyedPattern.key(seed, i));
        }
        CacheConfig.Builder b = CacheConfig.builder(shmDir, (long) n * blockSize, blockSize).copyThreads(1);
        try (Arena arena = Arena.ofShared()) {
            KeyedPattern pattern = new KeyedPattern(arena, blockSize, seed);
            MemorySegment src = arena.allocate(blockSize, 4096);
            MemorySegment dst = arena.allocate(blockSize, 4096);
            double taskCrc;
            double taskNoCrc;
            try (CacheTier tier = CacheTier.open(b.verifyOnHit(true).build())) {
                for (BlockKey k : keys) {
                    pattern.fill(src, k);
                    if (!tier.dump(List.of(k), List.of(src)).await().allOk()) {
                        throw new IOException("the DRAM tier refused a block of the working set");
                    }
                }
                taskCrc = timed(keys, blockSize, seconds, seed, k -> taskLoad(tier, k, dst), k -> pattern.matches(dst, k));
            }
            try (CacheTier tier = CacheTier.open(b.verifyOnHit(false).build())) {
                taskNoCrc = timed(keys, blockSize, seconds, seed, k -> taskLoad(tier, k, dst), k -> pattern.matches(dst, k));
            }
            double memcpy;
            double readerCrc;
            double readerNoCrc;
            try (CacheReader crc = CacheReader.open(shmDir, Duration.ofMillis(200), true);
                 CacheReader plain = CacheReader.open(shmDir, Duration.ofMillis(200), false)) {
                List<MemorySegment> views = new ArrayList<>(n);
                for (BlockKey k : keys) {
                    views.add(crc.view(k).bytes());
                }
                memcpy = timedIndexed(n, blockSize, seconds, seed, i -> MemorySegment.copy(views.get(i), 0, dst, 0, blockSize),
                        i -> pattern.matches(dst, keys.get(i)));
                readerCrc = timed(keys, blockSize, seconds, seed, k -> read(crc, k, dst), k -> pattern.matches(dst, k));
                readerNoCrc = timed(keys, blockSize, seconds, seed, k -> read(plain, k, dst), k -> pattern.matches(dst, k));
            }
            return new CacheBenchReport.HitResult(blockSize, (long) n * blockSize, memcpy, readerCrc, readerNoCrc, taskCrc,
                    taskNoCrc, readerCrc / memcpy, readerNoCrc / memcpy, taskCrc / memcpy, taskNoCrc / memcpy);
        }
    }

    private interface KeyOp {
        void run(BlockKey k) throws IOException, InterruptedException;
    }

    private interface IndexOp {
        void run(int i) throws IOException, InterruptedException;
    }

    private interface Check<T> {
        boolean ok(T t);
    }

    private static void taskLoad(CacheTier tier, BlockKey k, MemorySegment dst) throws InterruptedException, IOException {
        TaskResult r = tier.load(List.of(k), List.of(dst)).await();
        if (r.outcome(0) != Outcome.OK) {
            throw new IOException("a DRAM hit ended " + r.outcome(0) + ": " + r.details().getFirst());
        }
    }

    private static void read(CacheReader reader, BlockKey k, MemorySegment dst) throws IOException {
        CacheReader.Read r = reader.read(k, dst);
        if (r.outcome() != Outcome.OK) {
            throw new IOException("a DRAM hit ended " + r.outcome() + ": " + r.detail());
        }
    }

    private static double timed(List<BlockKey> keys, long blockSize, double seconds, long seed, KeyOp op, Check<BlockKey> check)
            throws IOException, InterruptedException {
        return timedIndexed(keys.size(), blockSize, seconds, seed, i -> op.run(keys.get(i)), i -> check.ok(keys.get(i)));
    }

    /** Checks every block once, then runs random-order passes until {@code seconds} passed; returns GB/s. */
    private static double timedIndexed(int n, long blockSize, double seconds, long seed, IndexOp op, Check<Integer> check)
            throws IOException, InterruptedException {
        for (int i = 0; i < n; i++) {
            op.run(i);
            if (!check.ok(i)) {
                throw new IOException("block " + i + " came back with wrong bytes");
            }
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        long bytes = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        do {
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i : order) {
                op.run(i);
            }
            bytes += n * blockSize;
        } while (System.nanoTime() < end);
        return bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }
}
