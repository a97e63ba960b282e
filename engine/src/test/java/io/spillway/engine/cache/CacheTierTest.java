package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.CacheVerify;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;

class CacheTierTest extends ShmTest {

    private CacheConfig config(int slots) {
        return CacheConfig.of(shm.path(), (long) slots * BLOCK, BLOCK);
    }

    @Test
    void dumpThenLoadGivesTheBytesAndLookupsSeeThem() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("t", 6);
        try (CacheTier tier = CacheTier.open(config(16)); Arena arena = Arena.ofShared()) {
            TaskResult d = tier.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await();
            assertTrue(d.allOk(), d.toString());
            assertFalse(d.durable(), "a DRAM-only block is never durable");
            assertEquals(6, tier.lookupPrefix(keys));
            List<MemorySegment> out = Payloads.empty(arena, 6, BLOCK);
            TaskResult l = tier.load(keys, out).await();
            assertTrue(l.allOk(), l.toString());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(Payloads.matches(out.get(i), keys.get(i)), "block " + i);
            }
            assertEquals(6, tier.cacheMetrics().hits.count());
            TaskResult again = tier.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await();
            assertEquals(6, again.deduplicated());
        }
    }

    @Test
    void evictionKeepsWithinTheSlotsAndNeverServesAnEvictedBlockWrong() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("evict", 40);
        try (CacheTier tier = CacheTier.open(config(8)); Arena arena = Arena.ofShared()) {
            for (BlockKey k : keys) {
                assertTrue(tier.dump(List.of(k), List.of(Payloads.content(arena, k, BLOCK))).await().allOk());
                assertTrue(tier.table().cachedBlocks() <= 8);
            }
            assertEquals(32, tier.cacheMetrics().evictions.count());
            int hits = 0;
            for (BlockKey k : keys) {
                MemorySegment dst = arena.allocate(BLOCK);
                TaskResult r = tier.load(List.of(k), List.of(dst)).await();
                if (r.outcome(0) == Outcome.OK) {
                    assertTrue(Payloads.matches(dst, k));
                    hits++;
                } else {
                    assertEquals(Outcome.MISSING, r.outcome(0));
                }
            }
            assertEquals(8, hits);
        }
    }

    @Test
    void aBlockLargerThanASlotIsRefusedWithAReason() throws Exception {
        BlockKey k = StoreFixture.keys("big", 1).getFirst();
        try (CacheTier tier = CacheTier.open(config(4)); Arena arena = Arena.ofShared()) {
            TaskResult r = tier.dump(List.of(k), List.of(Payloads.content(arena, k, BLOCK + 4096))).await();
            assertEquals(Outcome.IO_ERROR, r.outcome(0));
            assertTrue(r.details().getFirst().contains("larger than a cache slot"), r.details().getFirst());
        }
    }

    @Test
    void reopenServesTheSameBlocksAtOnce() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("reopen", 5);
        try (Arena arena = Arena.ofShared()) {
            try (CacheTier tier = CacheTier.open(config(8))) {
                assertTrue(tier.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await().allOk());
            }
            try (CacheTier tier = CacheTier.open(config(8))) {
                assertEquals(5, tier.openReport().blocks());
                assertEquals(null, tier.openReport().rebuiltBecause(), "a clean close keeps the index");
                List<MemorySegment> out = Payloads.empty(arena, 5, BLOCK);
                assertTrue(tier.load(keys, out).await().allOk());
                for (int i = 0; i < 5; i++) {
                    assertTrue(Payloads.matches(out.get(i), keys.get(i)));
                }
            }
        }
    }

    @Test
    void deleteRemovesAndFreesTheSlot() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("del", 3);
        try (CacheTier tier = CacheTier.open(config(4)); Arena arena = Arena.ofShared()) {
            assertTrue(tier.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await().allOk());
            assertEquals(1, tier.delete(List.of(keys.get(1))));
            assertEquals(1, tier.lookupPrefix(keys));
            assertEquals(Outcome.MISSING, tier.load(List.of(keys.get(1)), List.of(arena.allocate(BLOCK))).await().outcome(0));
            assertEquals(2, tier.table().cachedBlocks());
        }
    }

    @Test
    void aFlippedBitIsCorruptAndTheDestinationIsUntouched() throws Exception {
        BlockKey k = StoreFixture.keys("flip", 1).getFirst();
        try (CacheTier tier = CacheTier.open(config(4).toBuilder().verify(CacheVerify.BEFORE_COPYING).build());
             Arena arena = Arena.ofShared()) {
            MemorySegment dst = loadFlipped(tier, k, arena);
            for (long i = 0; i < BLOCK; i++) {
                if (dst.get(ValueLayout.JAVA_BYTE, i) != 0x5A) {
                    throw new AssertionError("destination byte " + i + " was written");
                }
            }
        }
    }

    /** The default check runs as the block is copied: the bad bytes reach the destination, but never as OK. */
    @Test
    void aFlippedBitIsCorruptWhileCopying() throws Exception {
        BlockKey k = StoreFixture.keys("flip-while", 1).getFirst();
        try (CacheTier tier = CacheTier.open(config(4)); Arena arena = Arena.ofShared()) {
            assertEquals(CacheVerify.WHILE_COPYING, tier.cacheConfig().verify());
            MemorySegment dst = loadFlipped(tier, k, arena);
            assertFalse(Payloads.matches(dst, k), "the destination holds the flipped copy, reported CORRUPT");
        }
    }

    /** Dumps {@code k}, flips one bit of its slot through a second mapping, loads it: CORRUPT and dropped. */
    private MemorySegment loadFlipped(CacheTier tier, BlockKey k, Arena arena) throws Exception {
        assertTrue(tier.dump(List.of(k), List.of(Payloads.content(arena, k, BLOCK))).await().allOk());
        SlotTable.Pinned pinned = tier.table().pin(k);
        int slot = pinned.slot().index;
        tier.table().unpin(pinned);
        long at = tier.arena().layout().slotOffset(slot) + 1000;
        try (FileChannel ch = FileChannel.open(shm.path().resolve("arena"), StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena a = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, at, 1, a);
            m.set(ValueLayout.JAVA_BYTE, 0, (byte) (m.get(ValueLayout.JAVA_BYTE, 0) ^ 0x10));
        }
        MemorySegment dst = arena.allocate(BLOCK);
        dst.fill((byte) 0x5A);
        TaskResult r = StoreFixture.await(tier.load(List.of(k), List.of(dst)));
        assertEquals(Outcome.CORRUPT, r.outcome(0));
        assertFalse(tier.lookup(List.of(k)).get(0), "a corrupt block is dropped");
        return dst;
    }
}
