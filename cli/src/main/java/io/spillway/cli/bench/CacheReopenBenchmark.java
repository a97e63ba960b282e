package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.CacheTier;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reopening a warm arena: fill it, close it cleanly, then time the open and the first hit (the
 * block loaded and checked). In-process, so Chronicle Map's classes are already loaded; the
 * first open of a cache in the process is reported apart.
 */
public final class CacheReopenBenchmark {

    private CacheReopenBenchmark() {
    }

    public static CacheBenchReport.ReopenResult run(Path shmDir, long arenaBytes, long blockSize, long seed,
                                                    double firstOpenInProcessMs) throws IOException, InterruptedException {
        CacheConfig config = CacheConfig.of(shmDir, arenaBytes, blockSize);
        int n = config.layout().slotCount();
        List<BlockKey> keys = new ArrayList<>(n);
        try (Arena arena = Arena.ofShared()) {
            KeyedPattern pattern = new KeyedPattern(arena, blockSize, seed);
            MemorySegment buf = arena.allocate(blockSize, 4096);
            try (CacheTier tier = CacheTier.open(config)) {
                for (int i = 0; i < n; i++) {
                    BlockKey k = KeyedPattern.key(seed + 2, i);
                    keys.add(k);
                    pattern.fill(buf, k);
                    if (!tier.dump(List.of(k), List.of(buf)).await().allOk()) {
                        throw new IOException("the DRAM tier refused block " + i + " of the warm arena");
                    }
                }
            }
            BlockKey first = keys.get(n / 2);
            long t0 = System.nanoTime();
            try (CacheTier tier = CacheTier.open(config)) {
                long opened = System.nanoTime();
                Outcome o = tier.load(List.of(first), List.of(buf)).await().outcome(0);
                long hit = System.nanoTime();
                if (o != Outcome.OK || !pattern.matches(buf, first)) {
                    throw new IOException("the first load after the reopen ended " + o + " or with wrong bytes");
                }
                if (tier.openReport().blocks() != n) {
                    throw new IOException("the reopened arena holds " + tier.openReport().blocks() + " blocks, not " + n);
                }
                return new CacheBenchReport.ReopenResult(config.layout().fileSize(), n, (opened - t0) / 1e6, (hit - t0) / 1e6,
                        firstOpenInProcessMs);
            }
        }
    }
}
