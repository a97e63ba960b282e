package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineStoreTest extends ShmTest {

    @TempDir
    Path tmp;

    private PipelineStore open(int slots, int writeBackQueue) throws Exception {
        StoreConfig disk = StoreFixture.config(tmp).build();
        CacheConfig cache = CacheConfig.builder(shm.path(), (long) slots * BLOCK, BLOCK).writeBackQueueBlocks(writeBackQueue)
                .build();
        return PipelineStore.open(disk, cache, new SimpleMeterRegistry(), new PosixFileIO(false, 4096));
    }

    @Test
    void dumpsAreCachedThenDurableAndLoadFromDram() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("p", 8);
        try (PipelineStore store = open(16, 64); Arena arena = Arena.ofShared()) {
            Task t = store.dump(keys, Payloads.buffers(arena, keys, BLOCK));
            TaskResult cached = t.await();
            assertTrue(cached.allOk(), cached.toString());
            TaskResult durable = t.whenDurable().get(30, TimeUnit.SECONDS);
            assertTrue(durable.allOk() && durable.durable(), durable.toString());
            assertEquals(8, store.diskTier().lookupPrefix(keys), "written back");
            List<MemorySegment> out = Payloads.empty(arena, 8, BLOCK);
            assertTrue(store.load(keys, out).await().allOk());
            for (int i = 0; i < 8; i++) {
                assertTrue(Payloads.matches(out.get(i), keys.get(i)));
            }
            assertEquals(8, store.cacheTier().cacheMetrics().hits.count());
            assertEquals(8, store.lookupPrefix(keys));
        }
    }

    @Test
    void aDramMissIsReadFromDiskAndPromoted() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("miss", 12);
        try (PipelineStore store = open(4, 64); Arena arena = Arena.ofShared()) {
            for (BlockKey k : keys) {
                Task t = store.dump(List.of(k), List.of(Payloads.content(arena, k, BLOCK)));
                assertTrue(t.whenDurable().get(30, TimeUnit.SECONDS).durable());
            }
            assertTrue(store.cacheTier().table().cachedBlocks() <= 4);
            assertEquals(12, store.lookupPrefix(keys), "lookups see both tiers");
            BlockKey first = keys.getFirst();
            assertFalse(store.cacheTier().table().contains(first), "evicted from DRAM");
            MemorySegment dst = arena.allocate(BLOCK);
            assertEquals(Outcome.OK, store.load(List.of(first), List.of(dst)).await().outcome(0));
            assertTrue(Payloads.matches(dst, first));
            assertTrue(store.cacheTier().table().contains(first), "promoted");
            assertEquals(1, store.cacheTier().cacheMetrics().promotions.count());
        }
    }

    @Test
    void aFullWriteBackQueueMakesDumpsBusyNotBlocked() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("busy", 64);
        try (PipelineStore store = open(128, 2); Arena arena = Arena.ofShared()) {
            TaskResult r = store.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await(Duration.ofSeconds(30));
            assertTrue(r.counts().getOrDefault(Outcome.BUSY, 0) > 0, r.toString());
            assertTrue(r.counts().getOrDefault(Outcome.OK, 0) >= 2, r.toString());
        }
    }

    @Test
    void lookupPrefixCountsBlocksInEitherTierInAnyMix() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("mix", 3);
        try (PipelineStore store = open(8, 64); Arena arena = Arena.ofShared()) {
            // keys[1] on disk only, keys[0] and keys[2] in DRAM only.
            assertTrue(store.diskTier().dump(List.of(keys.get(1)), List.of(Payloads.content(arena, keys.get(1), BLOCK)))
                    .await().allOk());
            store.cacheTier().dump(List.of(keys.get(0), keys.get(2)), Payloads.buffers(arena,
                    List.of(keys.get(0), keys.get(2)), BLOCK)).await();
            assertEquals(3, store.lookupPrefix(keys));
            assertEquals(3, store.lookup(keys).cardinality());
        }
    }

    @Test
    void deleteRemovesFromBothTiers() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("d", 3);
        try (PipelineStore store = open(8, 64); Arena arena = Arena.ofShared()) {
            assertTrue(store.dump(keys, Payloads.buffers(arena, keys, BLOCK)).whenDurable().get(30, TimeUnit.SECONDS)
                    .durable());
            assertEquals(1, store.delete(List.of(keys.get(0))));
            assertEquals(0, store.lookupPrefix(keys));
            assertEquals(Outcome.MISSING, store.load(List.of(keys.get(0)), List.of(arena.allocate(BLOCK))).await().outcome(0));
        }
    }

    @Test
    void dirtyBlocksLeftByAClosedOwnerAreWrittenBackByTheNextOne() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("restart", 6);
        try (Arena arena = Arena.ofShared()) {
            try (PipelineStore store = open(16, 64)) {
                assertTrue(store.dump(keys, Payloads.buffers(arena, keys, BLOCK)).await().allOk());
            }
            try (PipelineStore store = open(16, 64)) {
                assertEquals(6, store.lookupPrefix(keys));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (store.diskTier().lookupPrefix(keys) < 6 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(6, store.diskTier().lookupPrefix(keys), "written back by the second owner");
            }
        }
    }

    /** A CLEAN DRAM block is durable only if the disk tier behind it still has it. */
    @Test
    void aWarmCacheInFrontOfAnotherStoreNeverClaimsDurability() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("moved", 4);
        CacheConfig cache = CacheConfig.builder(shm.path(), 16L * BLOCK, BLOCK).build();
        try (Arena arena = Arena.ofShared()) {
            try (PipelineStore first = PipelineStore.open(StoreFixture.config(tmp.resolve("a")).build(), cache,
                    new SimpleMeterRegistry(), new PosixFileIO(false, 4096))) {
                TaskResult durable = first.dump(keys, Payloads.buffers(arena, keys, BLOCK)).whenDurable().get(30, TimeUnit.SECONDS);
                assertTrue(durable.allOk() && durable.durable(), durable.toString());
            }
            try (PipelineStore second = PipelineStore.open(StoreFixture.config(tmp.resolve("b")).build(), cache,
                    new SimpleMeterRegistry(), new PosixFileIO(false, 4096))) {
                assertEquals(0, second.diskTier().lookupPrefix(keys), "a fresh disk tier");
                assertEquals(4, second.lookupPrefix(keys), "the warm DRAM tier still serves them");
                TaskResult again = second.dump(keys, Payloads.buffers(arena, keys, BLOCK)).whenDurable().get(30, TimeUnit.SECONDS);
                assertTrue(again.allOk() && again.durable(), again.toString());
                assertEquals(4, second.diskTier().lookupPrefix(keys), "durable means on this store's disk tier");
            }
        }
    }

    /** B1a: a DIRTY block scribbled in DRAM before its write-back is dropped, never made durable on disk. */
    @Test
    void aDirtyBlockScribbledInDramIsNeverWrittenBack() throws Exception {
        BlockKey k = StoreFixture.keys("scribbled", 1).getFirst();
        CacheConfig cache = CacheConfig.builder(shm.path(), 16L * BLOCK, BLOCK).build();
        try (Arena arena = Arena.ofShared()) {
            int slot;
            try (CacheTier tier = CacheTier.open(cache)) {
                StoreResult r = tier.storeNow(k, List.of(Payloads.content(arena, k, BLOCK)), BLOCK, SlotState.DIRTY);
                assertEquals(StoreResult.Kind.STORED, r.kind());
                slot = r.slot().index;
                long at = tier.arena().layout().slotOffset(slot) + 100;
                try (FileChannel ch = FileChannel.open(shm.path().resolve("arena"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE); Arena a = Arena.ofConfined()) {
                    MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, at, 1, a);
                    m.set(ValueLayout.JAVA_BYTE, 0, (byte) (m.get(ValueLayout.JAVA_BYTE, 0) ^ 0x01));
                }
            }
            try (PipelineStore store = PipelineStore.open(StoreFixture.config(tmp).build(), cache, new SimpleMeterRegistry(),
                    new PosixFileIO(false, 4096))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (store.cacheTier().cacheMetrics().corrupt.count() < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, store.cacheTier().cacheMetrics().corrupt.count(), "found before the write-back");
                assertFalse(store.diskTier().lookup(List.of(k)).get(0), "never written to the disk tier");
                assertFalse(store.lookup(List.of(k)).get(0), "dropped from DRAM");
            }
        }
    }
}
