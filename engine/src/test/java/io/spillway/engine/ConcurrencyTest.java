package io.spillway.engine;

import io.spillway.engine.api.TaskResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads dump and load overlapping keys at once. Every load that succeeds returns exactly
 * the key's bytes, every dump succeeds, and dedup is exact: each distinct key is written once,
 * every other dump of it is counted as deduplicated.
 */
class ConcurrencyTest {

    private static final int THREADS = 8;
    private static final int UNIVERSE = 240;
    private static final int ROUNDS = 16;
    private static final int PER_TASK = 24;
    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    @Test
    void overlappingDumpsAndLoadsServeExactBytesAndWriteEachKeyOnce() throws Exception {
        List<BlockKey> universe = StoreFixture.keys("concurrent", UNIVERSE);
        Set<BlockKey> dumpedKeys = ConcurrentHashMap.newKeySet();
        AtomicLong requested = new AtomicLong();
        AtomicLong deduplicated = new AtomicLong();
        AtomicInteger loadedOk = new AtomicInteger();
        AtomicInteger loadedMissing = new AtomicInteger();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        CyclicBarrier start = new CyclicBarrier(THREADS);

        try (SegmentStore store = SegmentStore.open(StoreFixture.config(dir).streamNumber(3).build());
             Arena arena = Arena.ofShared()) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long seed = 1000 + t;
                    futures.add(pool.submit(() -> {
                        Random rnd = new Random(seed);
                        start.await();
                        for (int round = 0; round < ROUNDS; round++) {
                            List<BlockKey> dumpKeys = sample(universe, rnd);
                            TaskResult d = StoreFixture.await(store.dump(dumpKeys, Payloads.buffers(arena, dumpKeys, BLOCK)));
                            requested.addAndGet(dumpKeys.size());
                            deduplicated.addAndGet(d.deduplicated());
                            if (!d.allOk()) {
                                problems.add("dump: " + d);
                            }
                            dumpedKeys.addAll(dumpKeys);

                            List<BlockKey> loadKeys = sample(universe, rnd);
                            List<MemorySegment> dst = Payloads.empty(arena, loadKeys.size(), BLOCK);
                            TaskResult l = StoreFixture.await(store.load(loadKeys, dst));
                            for (int i = 0; i < loadKeys.size(); i++) {
                                switch (l.outcome(i)) {
                                    case OK -> {
                                        loadedOk.incrementAndGet();
                                        if (!Payloads.matches(dst.get(i), loadKeys.get(i))) {
                                            problems.add("wrong bytes for " + loadKeys.get(i).shortHex());
                                        }
                                    }
                                    case MISSING -> loadedMissing.incrementAndGet();
                                    default -> problems.add("load " + l.outcome(i) + ": " + l.details().get(i));
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }

            assertEquals(List.of(), problems);
            assertTrue(loadedOk.get() > 0 && loadedMissing.get() > 0,
                    "the loads raced the dumps: " + loadedOk + " hits, " + loadedMissing + " misses");
            int distinct = dumpedKeys.size();
            assertTrue(distinct < requested.get(), "the dumps overlapped");
            assertEquals(distinct, StoreFixture.counter(store, "spillway.dump.blocks"), "blocks written");
            assertEquals(distinct, store.stats().counters().get("dump.blocks"));
            assertEquals(requested.get() - distinct, deduplicated.get(), "deduplicated blocks");
            assertEquals(deduplicated.get(), StoreFixture.counter(store, "spillway.dump.deduplicated"));

            // Afterwards, every key dumped by anyone is there, with its own bytes.
            List<BlockKey> all = new ArrayList<>(dumpedKeys);
            BitSet hits = store.lookup(all);
            assertEquals(all.size(), hits.cardinality());
            List<MemorySegment> dst = Payloads.empty(arena, all.size(), BLOCK);
            TaskResult l = StoreFixture.await(store.load(all, dst));
            assertTrue(l.allOk(), l.toString());
            for (int i = 0; i < all.size(); i++) {
                assertTrue(Payloads.matches(dst.get(i), all.get(i)), "block " + all.get(i).shortHex());
            }
        }
    }

    /** Distinct random keys from the universe, biased to its first half so that threads collide. */
    private static List<BlockKey> sample(List<BlockKey> universe, Random rnd) {
        Set<BlockKey> picked = new HashSet<>();
        while (picked.size() < PER_TASK) {
            int bound = rnd.nextInt(4) == 0 ? universe.size() : universe.size() / 2;
            picked.add(universe.get(rnd.nextInt(bound)));
        }
        List<BlockKey> out = new ArrayList<>(picked);
        Collections.shuffle(out, rnd);
        return out;
    }
}
