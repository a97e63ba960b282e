package io.spillway.cli.jmh;

import io.spillway.engine.api.BlockStore;
import io.spillway.cli.bench.LookupBenchmark;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code lookupPrefix} of a 1000-key prefix chain that hits throughout (no early stop), against
 * an index of 1M and 10M keys, through the public {@link BlockStore} API. SampleTime mode, so
 * JMH reports p50, p99 and p99.9 per call.
 *
 * <p>The index is filled once per fork ({@link LookupBenchmark#fill}: synthetic locations, real
 * prefix-chain keys); at 10M keys that takes a minute or two and about 1.5 GiB of heap for the
 * in-memory key table. The measured chains are precomputed (hashing 1000 keys would otherwise
 * dominate) and cycled through.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "--enable-native-access=ALL-UNNAMED"})
public class LookupPrefixBenchmark {

    private static final int CHAIN = 1000;
    private static final int POOL = 256;

    @Param({"1000000", "10000000"})
    long indexedKeys;

    private Path dir;
    private BlockStore store;
    private final List<List<BlockKey>> chains = new ArrayList<>();
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("spillway-jmh-lookup");
        StoreConfig config = LookupBenchmark.fill(dir, indexedKeys, CHAIN, n -> { });
        store = BlockStore.open(config);
        SplittableRandom random = new SplittableRandom(7);
        int total = (int) (indexedKeys / CHAIN);
        for (int i = 0; i < POOL; i++) {
            chains.add(LookupBenchmark.chain(random.nextInt(total), CHAIN));
        }
    }

    @Benchmark
    public int lookupPrefix() throws IOException {
        List<BlockKey> keys = chains.get(next++ & (POOL - 1));
        int hits = store.lookupPrefix(keys);
        if (hits != CHAIN) {
            throw new IllegalStateException("lookupPrefix found " + hits + " of " + CHAIN);
        }
        return hits;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
