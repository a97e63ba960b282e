package io.spillway.cli.bench;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.StoreConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * The GC's replay benchmark: a trace that writes ten times the store's capacity, with Zipf(0.9)
 * reuse of shared prefixes over 2 MiB blocks, through a capacity-bounded store; and the same
 * trace through an exact in-memory LRU cache of the same capacity, as the reference.
 *
 * <p>Each request picks a prefix ("document") by Zipf rank and appends fresh suffix blocks; the
 * store serves it as a connector would: {@code lookupPrefix}, load the hits, dump the rest. The
 * figures: peak space used against capacity, write amplification (GC bytes written over user
 * bytes written), the store's hit ratio, and the LRU reference's.
 */
public final class ReplayBenchmark {

    /** The trace's shape. */
    public record Trace(long capacityBytes, int blockBytes, int prefixes, int prefixBlocks, int suffixBlocks, double zipf,
                        long writeFactor, long seed) {

        /** The defaults: 1 GiB store, 2 MiB blocks, 320 documents of 8 blocks (5 GiB), 2 new blocks each turn. */
        public static Trace defaults() {
            return new Trace(1L << 30, 2 << 20, 320, 8, 2, 0.9, 10, 42);
        }
    }

    /** What the replay measured. */
    public record Result(long capacityBytes, long segmentBytes, int writers, long peakUsedBytes, long userBytesWritten,
                         long gcBytesWritten, double writeAmplification, double hitRatio, double lruHitRatio, long requests,
                         long badLoads, double seconds) {

        /** Peak space allowed by the design: capacity plus one segment per active writer (dump writers and the GC's). */
        public long allowedPeak() {
            return capacityBytes + (long) (writers + 1) * segmentBytes;
        }
    }

    private ReplayBenchmark() {
    }

    /** Runs the trace through a fresh store in {@code dir}. */
    public static Result run(Path dir, Trace t, StoreConfig.Builder base, LongConsumer progressBytes) throws IOException, InterruptedException {
        StoreConfig config = base.storageBackend(dir.resolve("data")).capacity(Capacity.of(ByteSize.ofBytes(t.capacityBytes())))
                .kvBlockSize(ByteSize.ofBytes(t.blockBytes())).build();
        LruReference<BlockKey> lru = new LruReference<>((int) (t.capacityBytes() / t.blockBytes()));
        Zipf zipf = new Zipf(t.prefixes(), t.zipf());
        SplittableRandom random = new SplittableRandom(t.seed());
        long target = t.writeFactor() * t.capacityBytes();
        long t0 = System.nanoTime();
        long written = 0;
        long hits = 0;
        long lookedUp = 0;
        long requests = 0;
        long bad = 0;
        long peak = 0;
        try (BlockStore store = BlockStore.open(config, new SimpleMeterRegistry()); Arena arena = Arena.ofShared()) {
            int maxBlocks = t.prefixBlocks() + t.suffixBlocks();
            List<MemorySegment> buffers = new ArrayList<>();
            for (int i = 0; i < maxBlocks; i++) {
                buffers.add(arena.allocate(t.blockBytes(), 4096));
            }
            while (written < target) {
                List<BlockKey> chain = chain(t, zipf.next(random), requests);
                requests++;
                lru.request(chain);
                int hit = store.lookupPrefix(chain);
                if (hit > 0) {
                    TaskResult r = store.load(chain.subList(0, hit), buffers.subList(0, hit)).await();
                    for (int i = 0; i < hit; i++) {
                        Outcome o = r.outcome(i);
                        if (o == Outcome.OK && !content(chain.get(i), buffers.get(i), false)) {
                            bad++;
                        } else if (o != Outcome.OK && o != Outcome.MISSING) {
                            bad++;
                        }
                    }
                    // A block evicted between lookup and load counts as a miss: it must be recomputed.
                    int loaded = 0;
                    while (loaded < hit && r.outcome(loaded) == Outcome.OK) {
                        loaded++;
                    }
                    hit = loaded;
                }
                hits += hit;
                lookedUp += chain.size();
                List<BlockKey> missed = chain.subList(hit, chain.size());
                List<MemorySegment> src = buffers.subList(0, missed.size());
                for (int i = 0; i < missed.size(); i++) {
                    content(missed.get(i), src.get(i), true);
                }
                TaskResult d = store.dump(missed, src).await();
                written += d.bytes();
                peak = Math.max(peak, store.stats().allocatedBytes());
                progressBytes.accept(Math.min(written, target));
            }
            var stats = store.stats();
            long user = stats.counters().getOrDefault("dump.bytes", 0L);
            long gcBytes = stats.counters().getOrDefault("gc.bytes.written", 0L);
            return new Result(t.capacityBytes(), config.segmentSize().bytes(), config.streamNumber(), peak, user, gcBytes,
                    user == 0 ? 0 : (double) (user + gcBytes) / user, (double) hits / lookedUp, lru.hitRatio(), requests, bad,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Prefix {@code rank}'s blocks, then the request's own fresh suffix blocks. */
    static List<BlockKey> chain(Trace t, int rank, long request) {
        List<BlockKey> keys = new ArrayList<>(t.prefixBlocks() + t.suffixBlocks());
        BlockKey parent = BlockKey.ROOT;
        int[] tokens = new int[16];
        for (int i = 0; i < t.prefixBlocks(); i++) {
            Arrays.fill(tokens, rank * 1000 + i);
            parent = BlockKey.chain(parent, tokens, "replay");
            keys.add(parent);
        }
        for (int i = 0; i < t.suffixBlocks(); i++) {
            Arrays.fill(tokens, -(int) (request * 16 + i) - 1);
            parent = BlockKey.chain(parent, tokens, "replay");
            keys.add(parent);
        }
        return keys;
    }

    /** Fills (or checks) a block's content: its key repeated, so a check costs a compare, not a regeneration. */
    private static boolean content(BlockKey key, MemorySegment buf, boolean fill) {
        MemorySegment k = MemorySegment.ofArray(key.toBytes());
        long n = buf.byteSize();
        // Only the head and tail are written and checked: what a mix-up of blocks would change.
        long[] spots = {0, n / 2 - 32, n - 32};
        for (long at : spots) {
            if (fill) {
                MemorySegment.copy(k, 0, buf, at, 32);
            } else if (buf.asSlice(at, 32).mismatch(k) != -1) {
                return false;
            }
        }
        return true;
    }
}
