package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.policy.LruPolicy;
import io.spillway.engine.policy.S3FifoPolicy;
import io.spillway.segments.io.PosixFileIO;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The slot state machine against a model, from seeded random operations: reserve, publish or
 * abort, pin and unpin, write-back start and end, delete. After every step: the cache never holds
 * more blocks than slots; a DIRTY, pinned or written-back block is never evicted; each slot's
 * header and index entry agree with the table.
 */
class SlotTableTest {

    private static final int SLOTS = 6;

    @Test
    void randomOperationsKeepEveryInvariant() throws Exception {
        for (long seed = 1; seed <= 6; seed++) {
            run(seed, seed % 2 == 0);
        }
    }

    private void run(long seed, boolean lru) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        List<BlockKey> keys = StoreFixture.keys("table-" + seed, 20);
        try (ShmDirectory shm = new ShmDirectory()) {
            ArenaLayout layout = ArenaLayout.of(SLOTS * 4096L, 4096, 4096);
            PosixFileIO io = new PosixFileIO(false, 4096);
            try (SlotArena arena = SlotArena.create(shm.path().resolve("arena"), layout, io);
                 CacheIndex index = CacheIndex.create(CacheIndex.path(shm.path(), 1), SLOTS, Duration.ofMillis(100), io)) {
                SlotTable t = new SlotTable(arena, index, lru ? new LruPolicy<>() : new S3FifoPolicy<>(SLOTS),
                        new CacheMetrics(new SimpleMeterRegistry()), () -> {
                            throw new AssertionError("no index trouble expected");
                        });
                t.load(List.of());
                Map<BlockKey, SlotTable.Pinned> dirty = new HashMap<>(); // the block as published: slot and generation
                Map<BlockKey, SlotTable.Pinned> pinned = new HashMap<>();
                Map<BlockKey, Slot> writingBack = new HashMap<>();
                List<SlotTable.Reserved> open = new ArrayList<>();
                for (int step = 0; step < 2000; step++) {
                    BlockKey k = keys.get(r.nextInt(keys.size()));
                    switch (r.nextInt(7)) {
                        case 0, 1 -> {
                            if (t.reserve(k) instanceof SlotTable.Reserved res) {
                                open.add(res);
                            }
                        }
                        case 2 -> {
                            if (!open.isEmpty()) {
                                SlotTable.Reserved res = open.remove(r.nextInt(open.size()));
                                if (r.nextInt(5) == 0) {
                                    t.abort(res);
                                } else {
                                    boolean d = r.nextBoolean();
                                    BlockKey key = res.slot().key;
                                    if (t.publish(res, 4096, 1, d ? SlotState.DIRTY : SlotState.CLEAN) && d) {
                                        dirty.put(key, new SlotTable.Pinned(res.slot(), res.seq() + 1, 4096, 1));
                                    }
                                }
                            }
                        }
                        case 3 -> {
                            if (!pinned.containsKey(k)) {
                                SlotTable.Pinned p = t.pin(k);
                                if (p != null) {
                                    pinned.put(k, p);
                                }
                            } else {
                                t.unpin(pinned.remove(k));
                            }
                        }
                        case 4 -> {
                            SlotTable.Pinned d = dirty.get(k);
                            if (d != null && !writingBack.containsKey(k) && t.startWriteBack(d.slot(), d.generation())) {
                                writingBack.put(k, d.slot());
                            }
                        }
                        case 5 -> {
                            Slot s = writingBack.remove(k);
                            if (s != null) {
                                t.finishWriteBack(s, true);
                                if (dirty.containsKey(k) && dirty.get(k).slot() == s) {
                                    dirty.remove(k);
                                }
                            }
                        }
                        default -> {
                            if (r.nextInt(4) == 0) {
                                t.delete(k);
                                if (!writingBack.containsKey(k)) {
                                    dirty.remove(k);
                                }
                            }
                        }
                    }
                    check(t, arena, index, dirty, pinned, writingBack, keys);
                }
            }
        }
    }

    private static void check(SlotTable t, SlotArena arena, CacheIndex index, Map<BlockKey, SlotTable.Pinned> dirty,
                              Map<BlockKey, SlotTable.Pinned> pinned, Map<BlockKey, Slot> writingBack, List<BlockKey> keys)
            throws Exception {
        assertTrue(t.cachedBlocks() <= SLOTS);
        for (Map.Entry<BlockKey, SlotTable.Pinned> e : dirty.entrySet()) {
            Slot s = e.getValue().slot();
            if (e.getKey().equals(s.key) && s.generation == e.getValue().generation() && !s.deleteRequested) {
                assertTrue(t.contains(e.getKey()), "a DIRTY block was evicted before its write-back: " + e.getKey());
            }
        }
        for (BlockKey k : pinned.keySet()) {
            Slot s = pinned.get(k).slot();
            assertEquals(pinned.get(k).generation(), arena.seq(s.index), "a pinned slot was rewritten");
        }
        for (Map.Entry<BlockKey, Slot> e : writingBack.entrySet()) {
            assertEquals(SlotState.DIRTY, e.getValue().state, "a block being written back changed state or was freed");
            assertEquals(e.getKey(), e.getValue().key);
        }
        for (BlockKey k : keys) {
            CacheIndex.Probe p = index.get(k.toBytes());
            if (t.contains(k)) {
                SlotTable.Pinned pin = t.pin(k);
                assertNotNull(p.entry(), "a cached block is in the index");
                assertEquals(pin.slot().index, p.entry().slot());
                assertEquals(pin.generation(), p.entry().generation());
                SlotHeader h = arena.header(pin.slot().index);
                assertTrue(h.crcValid());
                assertEquals(pin.generation(), h.seq());
                assertEquals(k, h.blockKey());
                t.unpin(pin);
            } else {
                assertNull(p.entry(), "an uncached block is not in the index: " + k);
                assertFalse(p.present());
            }
        }
    }
}
