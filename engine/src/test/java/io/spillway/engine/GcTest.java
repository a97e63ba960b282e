package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.EvictionPolicy;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.io.ShuffledListingIO;
import io.spillway.testkit.SegmentFiles;
import io.spillway.testkit.io.FaultyFileIO;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GC: capacity, eviction under load, conditional relocation, reinsertion, full disk, TTL. */
class GcTest {

    private static final int BLOCK = 256 << 10;
    private static final long SEGMENT = 4L << 20;
    /** A segment id no test store reaches: relocations made by hand record their watermark there. */
    private static final long UNUSED_SEGMENT = 1L << 40;

    @TempDir
    Path dir;

    private StoreConfig.Builder config() {
        return StoreFixture.config(dir).segmentSize(ByteSize.ofBytes(SEGMENT)).streamNumber(1).writeGroupSize(ByteSize.ofMiB(1));
    }

    private static void dumpAll(SegmentStore store, Arena arena, List<BlockKey> keys) throws InterruptedException {
        for (int i = 0; i < keys.size(); i += 4) {
            List<BlockKey> batch = keys.subList(i, Math.min(keys.size(), i + 4));
            TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
            assertTrue(r.allOk(), r.toString());
        }
    }

    @Test
    void spaceStaysWithinCapacityPlusOneSegmentPerWriterAndOldBlocksGo() throws Exception {
        long capacity = 6 * SEGMENT;
        try (SegmentStore store = SegmentStore.open(config().capacity(Capacity.of(ByteSize.ofBytes(capacity))).build());
             Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("cap", 200); // 50 MiB through a 24 MiB store
            long peak = 0;
            for (int i = 0; i < keys.size(); i += 4) {
                List<BlockKey> batch = keys.subList(i, i + 4);
                TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
                assertTrue(r.allOk(), r.toString());
                peak = Math.max(peak, store.stats().allocatedBytes());
            }
            // one writer plus the GC's own writer
            assertTrue(peak <= capacity + 2 * SEGMENT, "peak " + peak + " > capacity " + capacity + " + 2 segments");
            assertTrue(StoreFixture.counter(store, "spillway.gc.evicted.segments") > 0);
            assertEquals(0, store.lookupPrefix(keys), "the oldest blocks were evicted first");
            assertTrue(store.lookup(keys.subList(190, 200)).cardinality() == 10, "the newest blocks are kept");
            StoreFixture.assertLoadsExactly(store, arena, keys.subList(190, 200), BLOCK);
        }
    }

    /** The keys of each segment, by segment id (from the index). */
    private static TreeMap<Long, List<BlockKey>> bySegment(SegmentStore store, List<BlockKey> keys) throws Exception {
        TreeMap<Long, List<BlockKey>> out = new TreeMap<>();
        for (BlockKey k : keys) {
            out.computeIfAbsent(store.context().index().get(k).orElseThrow().segmentId(), id -> new ArrayList<>()).add(k);
        }
        return out;
    }

    /** Evicts exactly one segment (the policy's victim) and returns which, by the keys gone from the index. */
    private static long evictOne(SegmentStore store, TreeMap<Long, List<BlockKey>> segments) throws Exception {
        GcReport report = store.gc(store.context().catalog().dataBytes() - 1);
        assertEquals(1, report.evictedSegments(), report.toString());
        List<Long> gone = new ArrayList<>();
        for (Map.Entry<Long, List<BlockKey>> e : segments.entrySet()) {
            int present = store.lookup(e.getValue()).cardinality();
            if (present == 0) {
                gone.add(e.getKey());
            } else {
                assertEquals(e.getValue().size(), present, "segment " + e.getKey() + " lost only some blocks");
            }
        }
        assertEquals(1, gone.size(), "evicted " + gone);
        return gone.getFirst();
    }

    @Test
    void lruEvictsTheSegmentReadLeastRecentlyAndFifoTheOldest() throws Exception {
        for (EvictionPolicy policy : EvictionPolicy.values()) {
            Path root = dir.resolve(policy.configName());
            StoreConfig cfg = StoreFixture.config(root).segmentSize(ByteSize.ofBytes(SEGMENT)).streamNumber(1)
                    .writeGroupSize(ByteSize.ofMiB(1)).evictionPolicy(policy).reinsertHits(0).build();
            try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
                List<BlockKey> keys = StoreFixture.keys("order-" + policy.configName(), 48); // three sealed segments and an open one
                dumpAll(store, arena, keys);
                TreeMap<Long, List<BlockKey>> segments = bySegment(store, keys);
                segments.pollLastEntry(); // the open segment: never a victim
                assertTrue(segments.size() >= 3, segments.keySet().toString());
                long oldest = segments.firstKey();
                long second = segments.higherKey(oldest);
                List<BlockKey> read = segments.get(oldest).subList(0, 2);
                assertTrue(StoreFixture.await(store.load(read, Payloads.empty(arena, 2, BLOCK))).allOk());
                long victim = evictOne(store, segments);
                assertEquals(policy == EvictionPolicy.LRU ? second : oldest, victim, policy.configName());
            }
        }
    }

    @Test
    void afterAReopenTheEvictionOrderIsTheIdOrderWhateverTheListing() throws Exception {
        for (EvictionPolicy policy : EvictionPolicy.values()) {
            Path root = dir.resolve("reopen-" + policy.configName());
            StoreConfig cfg = StoreFixture.config(root).segmentSize(ByteSize.ofBytes(SEGMENT)).streamNumber(1)
                    .writeGroupSize(ByteSize.ofMiB(1)).evictionPolicy(policy).reinsertHits(0).build();
            List<BlockKey> keys = StoreFixture.keys("reopen-" + policy.configName(), 48);
            try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
                dumpAll(store, arena, keys);
            }
            for (long s = 1; s <= 3; s++) {
                long seed = s;
                try (SegmentStore store = SegmentStore.open(cfg, new SimpleMeterRegistry(),
                        (d, direct, align) -> ShuffledListingIO.forDirectory(d, direct, align, seed))) {
                    TreeMap<Long, List<BlockKey>> segments = bySegment(store, store.lookup(keys).stream().mapToObj(keys::get).toList());
                    assertEquals(segments.firstKey(), evictOne(store, segments), policy.configName() + ", listing seed " + seed);
                }
            }
        }
    }

    @Test
    void watermarkPassEvictsDownToTheLowWatermark() throws Exception {
        long capacity = 10 * SEGMENT;
        try (SegmentStore store = SegmentStore.open(config().capacity(Capacity.of(ByteSize.ofBytes(capacity)))
                .gcHighWatermark(0.5).gcLowWatermark(0.3).build()); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, StoreFixture.keys("wm", 120)); // ~ 8 segments
            GcReport report = store.gc(-1);
            assertTrue(report.usedAfter() <= capacity * 0.3 + SEGMENT, report.toString());
            // A writer that passes the high watermark wakes the GC at once (it keeps room ahead of
            // the writers), so the eviction may be that pass's rather than this one's.
            assertTrue(StoreFixture.counter(store, "spillway.gc.evicted.segments") > 0, report.toString());
        }
    }

    @Test
    void loadsDuringForcedEvictionSucceedOrMissButNeverFailOrLie() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().streamNumber(2).build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("race", 96);
            dumpAll(store, arena, keys);
            AtomicBoolean stop = new AtomicBoolean();
            Map<Outcome, Integer> seen = new ConcurrentHashMap<>();
            List<Throwable> errors = new ArrayList<>();
            List<Thread> loaders = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                loaders.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    try (Arena local = Arena.ofShared()) {
                        List<MemorySegment> dst = Payloads.empty(local, 4, BLOCK);
                        while (!stop.get()) {
                            List<BlockKey> batch = new ArrayList<>();
                            for (int i = 0; i < 4; i++) {
                                batch.add(keys.get(r.nextInt(keys.size())));
                            }
                            TaskResult res = StoreFixture.await(store.load(batch, dst));
                            for (int i = 0; i < 4; i++) {
                                Outcome o = res.outcome(i);
                                seen.merge(o, 1, Integer::sum);
                                if (o == Outcome.OK && !Payloads.matches(dst.get(i), batch.get(i))) {
                                    throw new AssertionError("wrong bytes for " + batch.get(i));
                                }
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                }));
            }
            long used = store.stats().allocatedBytes();
            while (used > SEGMENT) {
                used = Math.max(SEGMENT, used - 2 * SEGMENT);
                store.gc(used);
                Thread.sleep(20);
            }
            stop.set(true);
            for (Thread t : loaders) {
                t.join();
            }
            assertEquals(List.of(), errors);
            assertTrue(seen.keySet().stream().allMatch(o -> o == Outcome.OK || o == Outcome.MISSING), seen.toString());
            assertTrue(seen.getOrDefault(Outcome.OK, 0) > 0, seen.toString());
            assertTrue(seen.getOrDefault(Outcome.MISSING, 0) > 0, seen.toString());
        }
    }

    @Test
    void conditionalRelocationLosesToADeleteAndToARedump() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("cas", 2);
            dumpAll(store, arena, keys);
            StoreContext ctx = store.context();
            BlockLocation a = ctx.index().get(keys.get(0)).orElseThrow();
            BlockLocation b = ctx.index().get(keys.get(1)).orElseThrow();
            BlockLocation elsewhere = new BlockLocation(a.segmentId(), a.payloadOffset() + 1_000_000, a.storedLength(),
                    a.rawLength(), a.payloadCrc(), a.codec(), a.flags(), a.writeTimeMillis());
            // Key 0 is deleted, key 1 deleted and dumped again, before the GC's compare-and-set.
            store.delete(keys);
            dumpAll(store, arena, keys.subList(1, 2));
            BlockLocation redumped = ctx.index().get(keys.get(1)).orElseThrow();
            boolean[] moved = ctx.publisher().relocate(keys, List.of(a, b), List.of(elsewhere, elsewhere), UNUSED_SEGMENT, 0);
            assertFalse(moved[0], "a deleted key is not brought back");
            assertFalse(moved[1], "a re-dumped key keeps its new location");
            assertTrue(ctx.index().get(keys.get(0)).isEmpty());
            assertEquals(redumped, ctx.index().get(keys.get(1)).orElseThrow());
            // And the winning case: the location still matches.
            BlockLocation target = new BlockLocation(redumped.segmentId(), redumped.payloadOffset(), redumped.storedLength(),
                    redumped.rawLength(), redumped.payloadCrc(), redumped.codec(), redumped.flags(), redumped.writeTimeMillis());
            assertTrue(ctx.publisher().relocate(keys.subList(1, 2), List.of(redumped), List.of(target), UNUSED_SEGMENT, 0)[0]);
        }
    }

    @Test
    void hotBlocksAreReinsertedWithTheirBytesAndColdOnesEvicted() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().reinsertHits(2).reinsertBudgetPercent(100).build());
             Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("hot", 24); // 6 MiB: the first 4 MiB segment is sealed
            dumpAll(store, arena, keys);
            List<BlockKey> hot = List.of(keys.get(1), keys.get(5));
            for (int round = 0; round < 3; round++) {
                assertTrue(StoreFixture.await(store.load(hot, Payloads.empty(arena, 2, BLOCK))).allOk());
            }
            GcReport report = store.gc(0); // evict everything sealed
            assertTrue(report.reinsertedBlocks() >= 2, report.toString());
            StoreFixture.assertLoadsExactly(store, arena, hot, BLOCK);
            assertFalse(store.lookup(List.of(keys.get(0))).get(0), "a cold block of an evicted segment is gone");
            assertTrue(StoreFixture.counter(store, "spillway.gc.bytes.written") >= 2L * BLOCK);
        }
    }

    @Test
    void sparseSegmentsAreCompacted() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().compactionThreshold(0.5).build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("sparse", 30);
            dumpAll(store, arena, keys);
            List<BlockKey> dead = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                if (i % 4 != 0) {
                    dead.add(keys.get(i));
                }
            }
            store.delete(dead);
            GcReport report = store.gc(-1);
            assertTrue(report.compactedSegments() > 0, report.toString());
            List<BlockKey> live = new ArrayList<>(keys);
            live.removeAll(dead);
            StoreFixture.assertLoadsExactly(store, arena, live, BLOCK);
        }
    }

    /**
     * Blocks larger than the GC's buffers (write_group_size) are copied forward too. They used to
     * be skipped, and the compacted segment was then evicted with them: QwQ-32B's 32 MiB blocks
     * against the default 16 MiB write groups lost live blocks on the H200 whenever deletes left
     * a segment below the compaction threshold.
     */
    @Test
    void compactionKeepsBlocksLargerThanTheGcBuffers() throws Exception {
        int big = 3 << 20; // three times write_group_size
        try (SegmentStore store = SegmentStore.open(config().segmentSize(ByteSize.ofMiB(16)).compactionThreshold(0.5).build());
                Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("large", 6); // five fill the first segment, the sixth seals it
            for (BlockKey k : keys) {
                TaskResult r = StoreFixture.await(store.dump(List.of(k), List.of(Payloads.content(arena, k, big))));
                assertTrue(r.allOk(), r.toString());
            }
            List<BlockKey> dead = keys.subList(1, 5);
            store.delete(dead);
            GcReport report = store.gc(-1);
            assertTrue(report.compactedSegments() > 0, report.toString());
            StoreFixture.assertLoadsExactly(store, arena, List.of(keys.getFirst()), big);
        }
    }

    /**
     * A dump awaiting a manual commit in an evicted segment is gone: its commit applies to
     * nothing. It used to publish the evicted location, so the commit reported success and the
     * block loaded MISSING (found by {@code LargeBlockWalkTest}, seed 39).
     */
    @Test
    void aCommitAfterItsSegmentWasEvictedAppliesToNothing() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().autoCommit(false).build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("uncommitted", 20); // 5 MiB: the first segment seals
            dumpAll(store, arena, keys);
            BlockKey first = keys.getFirst();
            GcReport report = store.gc(0);
            assertTrue(report.evictedSegments() > 0, report.toString());
            assertEquals(0, store.commit(List.of(first), true), "its dump was evicted before the commit");
            TaskResult r = StoreFixture.await(store.load(List.of(first), List.of(arena.allocate(BLOCK, 4096))));
            assertEquals(Outcome.MISSING, r.outcome(0), r.toString());
        }
    }

    /** Compaction keeps dumps awaiting a manual commit: committed afterwards, they load. */
    @Test
    void compactionKeepsDumpsAwaitingCommit() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().autoCommit(false).compactionThreshold(0.5).build());
                Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("awaiting", 20);
            dumpAll(store, arena, keys);
            List<BlockKey> dead = keys.subList(1, 12);
            assertEquals(dead.size(), store.commit(dead, true));
            store.delete(dead); // the first segment now holds one live block (awaiting commit) of 15
            GcReport report = store.gc(-1);
            assertTrue(report.compactedSegments() > 0, report.toString());
            List<BlockKey> first = List.of(keys.getFirst());
            assertEquals(1, store.commit(first, true));
            StoreFixture.assertLoadsExactly(store, arena, first, BLOCK);
        }
    }

    /**
     * Compaction on a full file system keeps its segment: evicting it without the copies would drop
     * live blocks that no policy chose (it used to, as eviction without reinsertion does).
     */
    @Test
    void compactionWithNoSpaceForItsCopiesKeepsTheSegment() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        try (SegmentStore store = SegmentStore.open(config().compactionThreshold(0.5).build(), new SimpleMeterRegistry(),
                faulty::forDirectory); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("nospace-compaction", 20);
            dumpAll(store, arena, keys);
            store.delete(keys.subList(1, 12)); // the first segment keeps one live block of 15
            faulty.diskFull(true);
            GcReport full = store.gc(-1);
            assertEquals(0, full.compactedSegments(), full.toString());
            assertEquals(0, full.evictedSegments(), full.toString());
            faulty.diskFull(false);
            List<BlockKey> live = List.of(keys.getFirst());
            StoreFixture.assertLoadsExactly(store, arena, live, BLOCK);
            GcReport later = store.gc(-1);
            assertTrue(later.compactedSegments() > 0, "compacted once there is space: " + later);
            StoreFixture.assertLoadsExactly(store, arena, live, BLOCK);
        }
    }

    @Test
    void fullDiskFailsDumpsFastKeepsLoadsAndLosesNothingCommitted() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        StoreConfig cfg = config().build();
        try (SegmentStore store = SegmentStore.open(cfg, new SimpleMeterRegistry(), faulty::forDirectory); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("enospc", 8);
            dumpAll(store, arena, keys);
            faulty.diskFull(true);
            List<BlockKey> more = StoreFixture.keys("enospc-more", 40);
            int full = 0;
            for (int i = 0; i < more.size(); i += 4) {
                List<BlockKey> batch = more.subList(i, i + 4);
                TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
                full += r.counts().getOrDefault(Outcome.STORE_FULL, 0);
                assertTrue(r.outcomes().stream().allMatch(o -> o == Outcome.OK || o == Outcome.STORE_FULL), r.toString());
            }
            assertTrue(full > 0, "a full disk must show as STORE_FULL");
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult loaded = StoreFixture.await(store.load(keys, dst));
            assertTrue(loaded.allOk(), "loads keep working on a full disk: " + loaded);
            faulty.diskFull(false);
        }
        try (SegmentStore store = SegmentStore.open(cfg, new SimpleMeterRegistry(), faulty::forDirectory); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("enospc", 8);
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult loaded = StoreFixture.await(store.load(keys, dst));
            assertTrue(loaded.allOk(), "nothing committed was lost: " + loaded);
            assertEquals(List.of(), SegmentFiles.list(cfg.storageBackends().getFirst(), SegmentPath.State.DELETING));
        }
    }

    @Test
    void expiredBlocksAreDeadToLoadsAndEvicted() throws Exception {
        try (SegmentStore store = SegmentStore.open(config().ttl(Duration.ofMillis(300)).build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("ttl", 20);
            dumpAll(store, arena, keys);
            Thread.sleep(400);
            TaskResult r = StoreFixture.await(store.load(keys.subList(0, 1), Payloads.empty(arena, 1, BLOCK)));
            assertEquals(Outcome.MISSING, r.outcome(0));
            GcReport report = store.gc(-1);
            assertTrue(report.expiredBlocks() > 0, report.toString());
        }
    }

    @Test
    void anInterruptedEvictionIsFinishedAtOpen() throws Exception {
        StoreConfig cfg = config().build();
        List<BlockKey> keys = StoreFixture.keys("interrupted", 24);
        try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
            dumpAll(store, arena, keys);
        }
        // A crash right after eviction step 2: the first sealed segment renamed to .deleted.
        Path data = cfg.storageBackends().getFirst();
        Path first = SegmentFiles.list(data, SegmentPath.State.SEALED).getFirst();
        SegmentPath p = SegmentPath.parse(first.getFileName().toString()).orElseThrow();
        java.nio.file.Files.move(first, p.as(SegmentPath.State.DELETING).in(data));
        try (SegmentStore store = SegmentStore.open(cfg)) {
            assertEquals(List.of(), SegmentFiles.list(data, SegmentPath.State.DELETING));
            assertEquals(0, store.lookupPrefix(keys), "the evicted segment's blocks are gone from the index");
            assertTrue(store.lookup(keys).cardinality() > 0, "later segments are untouched");
        }
    }
}
