package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.CacheReader;
import io.spillway.engine.cache.CacheTier;
import io.spillway.engine.config.CacheVerify;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DRAM-hit loads against a plain memcpy of the same bytes, in the same run: the blocks of a
 * working set larger than the CPU caches sit in the arena; each mode reads them in random order,
 * one at a time on one thread, the modes interleaved pass by pass.
 * <ul>
 *   <li>memcpy: {@code MemorySegment.copy} from the slot's bytes (the reference);
 *   <li>reader: {@link CacheReader#read}, the cross-process path (index probe, sequence checks,
 *       CRC32C while copying, before copying, or none, copy);
 *   <li>task: {@link CacheTier#load} with one copy thread, one block per task, awaited (the
 *       {@code BlockStore} path, task overhead included: the waiting caller runs the copy job if
 *       the copy thread has not taken it yet, so a wake-up of that thread is not on the path).
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
        Path withCrc = shmDir.resolve("crc");
        Path withoutCrc = shmDir.resolve("no-crc");
        CacheConfig.Builder b = CacheConfig.builder(withCrc, (long) n * blockSize, blockSize).copyThreads(1);
        try (Arena arena = Arena.ofShared()) {
            KeyedPattern pattern = new KeyedPattern(arena, blockSize, seed);
            MemorySegment dst = arena.allocate(blockSize, 4096);
            try (CacheTier crcTier = CacheTier.open(b.verify(CacheVerify.WHILE_COPYING).build());
                 CacheTier plainTier = CacheTier.open(CacheConfig.builder(withoutCrc, (long) n * blockSize, blockSize)
                         .copyThreads(1).verify(CacheVerify.OFF).build())) {
                fill(crcTier, keys, pattern, arena, blockSize);
                fill(plainTier, keys, pattern, arena, blockSize);
                try (CacheReader crc = CacheReader.open(withCrc, Duration.ofMillis(200), CacheVerify.WHILE_COPYING);
                     CacheReader crcFirst = CacheReader.open(withCrc, Duration.ofMillis(200), CacheVerify.BEFORE_COPYING);
                     CacheReader plain = CacheReader.open(withCrc, Duration.ofMillis(200), CacheVerify.OFF)) {
                    List<MemorySegment> views = new ArrayList<>(n);
                    for (BlockKey k : keys) {
                        views.add(crc.view(k).bytes());
                    }
                    List<IndexOp> modes = List.of(
                            i -> MemorySegment.copy(views.get(i), 0, dst, 0, blockSize),
                            i -> read(crc, keys.get(i), dst),
                            i -> read(crcFirst, keys.get(i), dst),
                            i -> read(plain, keys.get(i), dst),
                            i -> taskLoad(crcTier, keys.get(i), dst),
                            i -> taskLoad(plainTier, keys.get(i), dst));
                    double[] gbps = interleaved(modes, n, blockSize, seconds, seed, i -> pattern.matches(dst, keys.get(i)));
                    return new CacheBenchReport.HitResult(blockSize, (long) n * blockSize, gbps[0], gbps[1], gbps[2], gbps[3],
                            gbps[4], gbps[5], gbps[1] / gbps[0], gbps[2] / gbps[0], gbps[3] / gbps[0], gbps[4] / gbps[0],
                            gbps[5] / gbps[0]);
                }
            }
        }
    }

    private static void fill(CacheTier tier, List<BlockKey> keys, KeyedPattern pattern, Arena arena, long blockSize)
            throws IOException, InterruptedException {
        MemorySegment src = arena.allocate(blockSize, 4096);
        for (BlockKey k : keys) {
            pattern.fill(src, k);
            if (!tier.dump(List.of(k), List.of(src)).await().allOk()) {
                throw new IOException("the DRAM tier refused a block of the working set");
            }
        }
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

    /**
     * Checks every block once per mode, then runs random-order passes over the working set, one
     * pass of each mode in turn, until every mode ran {@code seconds}: interleaved, so that a
     * change in the machine's load falls on every mode alike and the ratios stay meaningful.
     * Returns each mode's GB/s.
     */
    private static double[] interleaved(List<IndexOp> modes, int n, long blockSize, double seconds, long seed,
                                        Check<Integer> check) throws IOException, InterruptedException {
        for (int m = 0; m < modes.size(); m++) {
            for (int i = 0; i < n; i++) {
                modes.get(m).run(i);
                if (!check.ok(i)) {
                    throw new IOException("mode " + m + ": block " + i + " came back with wrong bytes");
                }
            }
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        long[] nanos = new long[modes.size()];
        long[] bytes = new long[modes.size()];
        long target = (long) (seconds * 1e9);
        while (Arrays.stream(nanos).min().orElse(0) < target) {
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int m = 0; m < modes.size(); m++) {
                long t0 = System.nanoTime();
                for (int i : order) {
                    modes.get(m).run(i);
                }
                nanos[m] += System.nanoTime() - t0;
                bytes[m] += n * blockSize;
            }
        }
        double[] gbps = new double[modes.size()];
        for (int m = 0; m < modes.size(); m++) {
            gbps[m] = bytes[m] / (nanos[m] / 1e9) / 1e9;
        }
        return gbps;
    }
}
