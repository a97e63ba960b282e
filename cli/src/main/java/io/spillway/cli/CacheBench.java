package io.spillway.cli;

import io.spillway.cli.bench.CacheBenchReport;
import io.spillway.cli.bench.CacheBenchReport.HitResult;
import io.spillway.cli.bench.CacheBenchReport.ReopenResult;
import io.spillway.cli.bench.CacheBenchReport.ZipfResult;
import io.spillway.cli.bench.CacheHitBenchmark;
import io.spillway.cli.bench.CacheReopenBenchmark;
import io.spillway.cli.bench.CacheZipfBenchmark;
import io.spillway.cli.bench.Medians;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.CacheTier;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * {@code spillway bench --cache}: the DRAM tier's benchmarks ({@link CacheHitBenchmark}, {@link
 * CacheZipfBenchmark}, {@link CacheReopenBenchmark}), {@code runs} times, reported as medians.
 * The arenas live in a directory of this run under /dev/shm, removed afterwards.
 */
final class CacheBench {

    /** What to run. */
    record Settings(List<Long> hitSizes, long workingSet, double seconds, int zipfKeys, long pipelineBlock, long pipelineBytes,
                    double zipf, long reopenBytes, int runs, long seed) {

        static Settings of(boolean quick, double zipf, int runs, long seed, long reopenBytes) {
            return quick
                    ? new Settings(List.of(64L << 10, 2L << 20), 64L << 20, 0.2, 2000, 256L << 10, 32L << 20, zipf, 64L << 20, runs, seed)
                    : new Settings(List.of(64L << 10, 2L << 20, 32L << 20), 1L << 30, 2.0, 20_000, 2L << 20, 1L << 30, zipf,
                    reopenBytes, runs, seed);
        }
    }

    private CacheBench() {
    }

    static CacheBenchReport run(PrintWriter out, Path work, Settings s) throws IOException, InterruptedException {
        Path shm = Files.createDirectories(Path.of("/dev/shm", "spillway-bench-" + ProcessHandle.current().pid()));
        try {
            long t0 = System.nanoTime();
            CacheTier.open(CacheConfig.of(shm.resolve("first"), 1L << 20, 64L << 10)).close();
            double firstOpenMs = (System.nanoTime() - t0) / 1e6;
            List<List<HitResult>> hits = new ArrayList<>();
            List<ZipfResult> zipfs = new ArrayList<>();
            List<ReopenResult> reopens = new ArrayList<>();
            for (int run = 1; run <= s.runs(); run++) {
                List<HitResult> perSize = new ArrayList<>();
                for (long size : s.hitSizes()) {
                    HitResult h = CacheHitBenchmark.run(shm.resolve("hit-" + run + "-" + size), size, s.workingSet(), s.seconds(),
                            s.seed() + run);
                    out.printf("cache hit %s: memcpy %.2f GB/s; reader %.2f (%.0f%%) with CRC while copying, %.2f (%.0f%%)"
                                    + " before copying, %.2f (%.0f%%) without; task %.2f (%.0f%%) with CRC while copying, %.2f"
                                    + " (%.0f%%) without%n", Units.bytes(size), h.memcpyGbps(),
                            h.readerCrcGbps(), 100 * h.readerCrcOfMemcpy(), h.readerCrcFirstGbps(), 100 * h.readerCrcFirstOfMemcpy(),
                            h.readerNoCrcGbps(), 100 * h.readerNoCrcOfMemcpy(),
                            h.taskCrcGbps(), 100 * h.taskCrcOfMemcpy(), h.taskNoCrcGbps(), 100 * h.taskNoCrcOfMemcpy());
                    out.flush();
                    perSize.add(h);
                    FileTrees.deleteRecursively(shm.resolve("hit-" + run + "-" + size));
                }
                hits.add(perSize);
                ZipfResult z = CacheZipfBenchmark.run(shm.resolve("zipf-" + run), work.resolve("cache-disk-" + run), s.zipfKeys(),
                        s.pipelineBlock(), s.pipelineBytes(), s.zipf(), s.seed() + run);
                out.printf("cache zipf(%.2f) at 10%% of the working set: hit ratio %.3f (%s), exact LRU %.3f, %.1f%% of LRU;"
                                + " Cache|Disk %.2f GB/s (DRAM hits %.0f%%) vs disk alone %.2f GB/s: %.2fx%n", z.zipfExponent(),
                        z.hitRatio(), z.policy(), z.lruHitRatio(), 100 * z.ofLru(), z.pipelineGbps(), 100 * z.pipelineDramHitRatio(),
                        z.diskGbps(), z.pipelineOverDisk());
                out.flush();
                zipfs.add(z);
                FileTrees.deleteRecursively(shm.resolve("zipf-" + run));
                FileTrees.deleteRecursively(work.resolve("cache-disk-" + run));
                ReopenResult r = CacheReopenBenchmark.run(shm.resolve("reopen-" + run), s.reopenBytes(), 2L << 20, s.seed() + run,
                        firstOpenMs);
                out.printf("cache reopen of a warm %s arena (%d blocks): open %.0f ms, first hit %.0f ms (first open in this"
                        + " process: %.0f ms)%n", Units.bytes(r.arenaBytes()), r.blocks(), r.reopenMs(), r.firstHitMs(), firstOpenMs);
                out.flush();
                reopens.add(r);
                FileTrees.deleteRecursively(shm.resolve("reopen-" + run));
            }
            return new CacheBenchReport(medianHits(hits), medianZipf(zipfs), medianReopen(reopens));
        } finally {
            FileTrees.deleteRecursively(shm);
        }
    }

    private static <T> double med(List<T> xs, ToDoubleFunction<T> f) {
        return Medians.median(xs.stream().map(x -> f.applyAsDouble(x)).toList());
    }

    private static List<HitResult> medianHits(List<List<HitResult>> runs) {
        List<HitResult> out = new ArrayList<>();
        for (int i = 0; i < runs.getFirst().size(); i++) {
            int idx = i;
            List<HitResult> xs = runs.stream().map(r -> r.get(idx)).toList();
            HitResult h = xs.getFirst();
            out.add(new HitResult(h.blockSize(), h.workingSetBytes(), med(xs, HitResult::memcpyGbps), med(xs, HitResult::readerCrcGbps),
                    med(xs, HitResult::readerCrcFirstGbps), med(xs, HitResult::readerNoCrcGbps), med(xs, HitResult::taskCrcGbps),
                    med(xs, HitResult::taskNoCrcGbps), med(xs, HitResult::readerCrcOfMemcpy), med(xs, HitResult::readerCrcFirstOfMemcpy),
                    med(xs, HitResult::readerNoCrcOfMemcpy), med(xs, HitResult::taskCrcOfMemcpy), med(xs, HitResult::taskNoCrcOfMemcpy)));
        }
        return out;
    }

    private static ZipfResult medianZipf(List<ZipfResult> xs) {
        ZipfResult z = xs.getFirst();
        return new ZipfResult(z.keys(), z.capacityBlocks(), z.requests(), z.zipfExponent(), z.policy(), med(xs, ZipfResult::hitRatio),
                med(xs, ZipfResult::lruHitRatio), med(xs, ZipfResult::ofLru), z.pipelineBlockSize(), z.pipelineKeys(),
                med(xs, ZipfResult::pipelineGbps), med(xs, ZipfResult::diskGbps), med(xs, ZipfResult::pipelineOverDisk),
                med(xs, ZipfResult::pipelineDramHitRatio));
    }

    private static ReopenResult medianReopen(List<ReopenResult> xs) {
        ReopenResult r = xs.getFirst();
        return new ReopenResult(r.arenaBytes(), r.blocks(), med(xs, ReopenResult::reopenMs), med(xs, ReopenResult::firstHitMs),
                r.firstOpenInProcessMs());
    }
}
