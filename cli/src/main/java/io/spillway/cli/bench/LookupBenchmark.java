package io.spillway.cli.bench;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.index.MetaKeys;
import io.spillway.recovery.StoreRecovery;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Times {@link BlockStore#lookupPrefix} of a chain of {@code chainLength} keys against an index
 * of {@code indexedKeys} entries.
 *
 * <p>The index is filled directly through {@link BlockIndex} with synthetic locations (writing a
 * million real blocks would time the disk, not the lookup); lookups then go through the public
 * {@link BlockStore} API, exactly as a connector's scheduler calls it. Every measured chain is a
 * real prefix chain whose keys are all indexed (the worst case: no early stop at a miss), drawn
 * at random so the block cache is exercised the way a mixed workload does.
 */
public final class LookupBenchmark {

    /** Median and tail of the measured lookups, in microseconds. */
    public record Result(long indexedKeys, int chainLength, int iterations, double p50Micros, double p99Micros,
                         double maxMicros, double fillSeconds) {
    }

    private LookupBenchmark() {
    }

    /**
     * Runs the benchmark in {@code dir} (a fresh directory).
     *
     * @param progress receives the number of keys indexed so far while filling
     */
    public static Result run(Path dir, long indexedKeys, int chainLength, int iterations, LongConsumer progress) throws IOException {
        if (indexedKeys < chainLength) {
            throw new IllegalArgumentException("need at least " + chainLength + " indexed keys, got " + indexedKeys);
        }
        long fillStart = System.nanoTime();
        StoreConfig config = fill(dir, indexedKeys, chainLength, progress);
        int chains = (int) (indexedKeys / chainLength);
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        try (BlockStore store = BlockStore.open(config)) {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < Math.min(iterations, 200); i++) { // warm-up: JIT and block cache
                store.lookupPrefix(chain(rnd.nextInt(chains), chainLength));
            }
            long[] nanos = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                List<BlockKey> keys = chain(rnd.nextInt(chains), chainLength);
                long t0 = System.nanoTime();
                int hits = store.lookupPrefix(keys);
                nanos[i] = System.nanoTime() - t0;
                if (hits != chainLength) {
                    throw new IllegalStateException("lookupPrefix found " + hits + " of " + chainLength + " indexed keys");
                }
            }
            Arrays.sort(nanos);
            return new Result(chains * (long) chainLength, chainLength, iterations, nanos[iterations / 2] / 1e3,
                    nanos[(int) (iterations * 0.99)] / 1e3, nanos[iterations - 1] / 1e3, fillSeconds);
        }
    }

    /**
     * Indexes {@code indexedKeys / chainLength} chains of {@code chainLength} keys (see
     * {@link #chain}) in a new store under {@code dir}, with synthetic locations, and returns the
     * config that opens it. The JMH benchmark shares this with {@link #run}.
     */
    public static StoreConfig fill(Path dir, long indexedKeys, int chainLength, LongConsumer progress) throws IOException {
        if (indexedKeys < chainLength) {
            throw new IllegalArgumentException("need at least " + chainLength + " indexed keys, got " + indexedKeys);
        }
        StoreConfig config = StoreConfig.builder().storageBackend(dir.resolve("data")).indexPath(dir.resolve("index"))
                .segmentSize(ByteSize.ofMiB(64)).writeGroupSize(ByteSize.ofMiB(1)).build();
        int chains = (int) (indexedKeys / chainLength);
        try (BlockIndex index = BlockIndex.open(config.indexPath(), new IndexOptions(config.indexCacheSize().bytes(), true))) {
            BlockLocation loc = new BlockLocation(1, 4096, 2 << 20, 2 << 20, 0, Codec.NONE, 1, 0);
            long done = 0;
            for (int c = 0; c < chains; c++) {
                try (BlockIndex.Batch batch = index.batch()) {
                    for (BlockKey k : chain(c, chainLength)) {
                        batch.put(k, loc);
                    }
                    index.write(batch, false);
                }
                done += chainLength;
                if (c % 50 == 0) {
                    progress.accept(done);
                }
            }
            index.flush();
            markCleanWithPlaceholder(config, index);
            progress.accept(done);
        }
        return config;
    }

    /**
     * Makes a store whose index holds synthetic locations in segment 1 open as a clean store:
     * writes segment 1 as an empty sealed segment (an open drops entries into a segment that does
     * not exist), records that segment ids up to 1 are handed out, and writes the clean-shutdown
     * marker. Only lookups may use such a store: its entries point at records that were never
     * written (a load would report them corrupt or missing).
     */
    static void markCleanWithPlaceholder(StoreConfig config, BlockIndex index) throws IOException {
        Path data = Files.createDirectories(config.storageBackends().getFirst());
        int alignment = (int) config.alignment().bytes();
        FileIO fileIo = new ChannelFileIO(alignment);
        try (Arena arena = Arena.ofConfined()) {
            SegmentWriter w = SegmentWriter.create(fileIo, data, 1, config.segmentSize().bytes(), alignment,
                    arena.allocate(config.writeGroupSize().bytes(), alignment));
            w.seal(new boolean[0]);
        }
        index.putMeta(MetaKeys.NEXT_SEGMENT_ID, 2);
        StoreRecovery.markClean(index);
    }

    /** Chain number {@code c}: {@code length} keys, each chained to the previous, as a prompt's blocks are. */
    public static List<BlockKey> chain(int c, int length) {
        List<BlockKey> keys = new ArrayList<>(length);
        BlockKey parent = BlockKey.ROOT;
        int[] tokens = new int[16];
        for (int i = 0; i < length; i++) {
            Arrays.fill(tokens, c * 31 + i);
            parent = BlockKey.chain(parent, tokens, "bench");
            keys.add(parent);
        }
        return keys;
    }
}
