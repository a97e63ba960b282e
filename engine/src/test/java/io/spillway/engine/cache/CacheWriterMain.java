package io.spillway.engine.cache;

import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The writer of {@link TwoProcessTest}: owns the cache at {@code args[0]} and dumps blocks of a
 * key space larger than the cache without end (so it evicts all the time), deleting now and then,
 * until it is killed. Prints {@code ready} once it owns the cache.
 */
public final class CacheWriterMain {

    private CacheWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int slots = Integer.parseInt(args[1]);
        int block = Integer.parseInt(args[2]);
        List<BlockKey> keys = StoreFixture.keys(TwoProcessTest.NAMESPACE, Integer.parseInt(args[3]));
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[4]));
        CacheConfig config = CacheConfig.builder(dir, (long) slots * block, block).lockTimeout(Duration.ofMillis(50)).build();
        try (CacheTier tier = CacheTier.open(config); Arena arena = Arena.ofShared()) {
            System.out.println("ready " + tier.openReport());
            System.out.flush();
            MemorySegment src = arena.allocate(block, 4096);
            for (long op = 0; ; op++) {
                BlockKey k = keys.get(random.nextInt(keys.size()));
                if (op % 40 == 39) {
                    tier.delete(List.of(k));
                    continue;
                }
                Payloads.fill(src, k);
                tier.dump(List.of(k), List.of(src)).await();
            }
        }
    }
}
