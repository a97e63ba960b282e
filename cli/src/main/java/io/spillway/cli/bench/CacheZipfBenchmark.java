package io.spillway.cli.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.CacheTier;
import io.spillway.engine.cache.PipelineStore;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.PosixFileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The Zipf mix at a DRAM capacity of 10% of the working set.
 * <ol>
 *   <li>Hit ratio: a trace of Zipf-popular single-block requests against the DRAM tier alone (a hit
 *       is loaded, a miss is stored, as the pipeline promotes it), and the same trace against an
 *       exact LRU cache of the same capacity ({@link LruReference}).
 *   <li>Throughput: the working set is dumped to a segment store; the same Zipf sequence of loads
 *       then runs through {@code Cache|Disk} (a fresh, cold DRAM tier: misses are read from disk and
 *       promoted) and through the disk tier alone. Every load is checked.
 * </ol>
 */
public final class CacheZipfBenchmark {

    private CacheZipfBenchmark() {
    }

    public static CacheBenchReport.ZipfResult run(Path shmDir, Path diskDir, int keys, long pipelineBlock, long pipelineBytes,
                                                  double exponent, long seed) throws IOException, InterruptedException {
        int capacity = Math.max(1, keys / 10);
        long requests = 10L * keys;
        Zipf zipf = new Zipf(keys, exponent);
        SplittableRandom r = new SplittableRandom(seed);
        int block = 4096;
        LruReference<BlockKey> lru = new LruReference<>(capacity);
        long hits = 0;
        String policy;
        CacheConfig config = CacheConfig.of(shmDir.resolve("ratio"), (long) capacity * block, block);
        policy = config.policy().configName();
        try (CacheTier tier = CacheTier.open(config); Arena arena = Arena.ofShared()) {
            KeyedPattern pattern = new KeyedPattern(arena, block, seed);
            MemorySegment buf = arena.allocate(block, 4096);
            for (long i = 0; i < requests; i++) {
                BlockKey k = KeyedPattern.key(seed, zipf.next(r));
                lru.request(List.of(k));
                if (tier.load(List.of(k), List.of(buf)).await().outcome(0) == Outcome.OK) {
                    hits++;
                } else {
                    pattern.fill(buf, k);
                    tier.dump(List.of(k), List.of(buf)).await();
                }
            }
        }
        double ratio = (double) hits / requests;
        Throughput t = throughput(shmDir.resolve("pipeline"), diskDir, pipelineBlock, (int) (pipelineBytes / pipelineBlock),
                exponent, seed);
        return new CacheBenchReport.ZipfResult(keys, capacity, requests, exponent, policy, ratio, lru.hitRatio(),
                ratio / lru.hitRatio(), pipelineBlock, t.keys, t.pipelineGbps, t.diskGbps, t.pipelineGbps / t.diskGbps,
                t.dramHitRatio);
    }

    private record Throughput(int keys, double pipelineGbps, double diskGbps, double dramHitRatio) {
    }

    private static Throughput throughput(Path shmDir, Path diskDir, long blockSize, int n, double exponent, long seed)
            throws IOException, InterruptedException {
        StoreConfig disk = StoreConfig.builder().storageBackend(diskDir).kvBlockSize(ByteSize.ofBytes(blockSize))
                .segmentSize(ByteSize.ofMiB(256)).build();
        List<BlockKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(KeyedPattern.key(seed + 1, i));
        }
        int[] sequence = new int[2 * n];
        Zipf zipf = new Zipf(n, exponent);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < sequence.length; i++) {
            sequence[i] = zipf.next(r);
        }
        try (Arena arena = Arena.ofShared()) {
            KeyedPattern pattern = new KeyedPattern(arena, blockSize, seed);
            MemorySegment buf = arena.allocate(blockSize, 4096);
            try (SegmentStore store = SegmentStore.open(disk)) {
                for (BlockKey k : keys) {
                    pattern.fill(buf, k);
                    if (!store.dump(List.of(k), List.of(buf)).await().allOk()) {
                        throw new IOException("the disk tier refused a block of the working set");
                    }
                }
            }
            long cacheBytes = Math.max(blockSize, n / 10 * blockSize);
            CacheConfig cache = CacheConfig.builder(shmDir, cacheBytes, blockSize).build();
            double pipeline;
            double dramHits;
            try (PipelineStore p = PipelineStore.open(disk, cache, new SimpleMeterRegistry(), new PosixFileIO(false, 4096))) {
                pipeline = loads(p, keys, sequence, buf, pattern, blockSize);
                dramHits = p.stats().counters().getOrDefault("cache.hits", 0L) / (double) sequence.length;
            }
            double alone;
            try (SegmentStore store = SegmentStore.open(disk)) {
                alone = loads(store, keys, sequence, buf, pattern, blockSize);
            }
            return new Throughput(n, pipeline, alone, dramHits);
        }
    }

    private static double loads(BlockStore store, List<BlockKey> keys, int[] sequence, MemorySegment buf, KeyedPattern pattern,
                                long blockSize) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        for (int i : sequence) {
            BlockKey k = keys.get(i);
            Outcome o = store.load(List.of(k), List.of(buf)).await().outcome(0);
            if (o != Outcome.OK || !pattern.matches(buf, k)) {
                throw new IOException("a Zipf load ended " + o + " or with wrong bytes");
            }
        }
        return sequence.length * blockSize / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }
}
