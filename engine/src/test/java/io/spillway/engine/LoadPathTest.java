package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.LoadIoEngine;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.FileBytes;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Loads as chunked reads with a deep queue: blocks larger than a chunk, larger than the whole
 * bounce pool, more blocks than reads in flight, scattered destinations, and a corrupt byte in a
 * later chunk, with io_uring (where the kernel allows it) and with threads, direct and buffered.
 */
class LoadPathTest {

    private static final int CHUNK = 1 << 20;
    /** Five chunks and a partial sixth, its length not a multiple of the alignment. */
    private static final int LARGE = 5 * CHUNK + 12_345;
    private static final byte PATTERN = (byte) 0x5a;

    @TempDir
    Path dir;

    private StoreConfig.Builder config(LoadIoEngine engine, boolean direct, int depth) {
        // kv_block_size 1 MiB makes the chunk 1 MiB, so a LARGE block is 6 reads.
        return StoreFixture.config(dir).kvBlockSize(ByteSize.ofMiB(1)).segmentSize(ByteSize.ofMiB(64))
                .loadIoEngine(engine).ioDirect(direct).loadQueueDepth(depth);
    }

    @ParameterizedTest(name = "{0}, direct={1}")
    @CsvSource({"AUTO, true", "AUTO, false", "THREADS, true", "THREADS, false"})
    void largeBlocksArriveWholeFromChunkedReads(LoadIoEngine engine, boolean direct) throws Exception {
        List<BlockKey> keys = StoreFixture.keys("large", 3);
        try (SegmentStore store = SegmentStore.open(config(engine, direct, 32).build()); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, LARGE))).allOk());
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), LARGE);
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            assertTrue(r.allOk(), r.toString());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i);
            }
            assertEquals(3L * LARGE, r.bytes());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(LoadIoEngine.class)
    void aBadByteInALaterChunkIsCorruptAndNeverReachesTheDestination(LoadIoEngine engine) throws Exception {
        List<BlockKey> keys = StoreFixture.keys("flip", 2);
        StoreConfig cfg = config(engine, true, 32).build();
        BlockLocation victim;
        try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, LARGE))).allOk());
            victim = store.context().index().getAll(List.of(keys.get(1))).getFirst();
        }
        flipByte(cfg.storageBackends().getFirst(), victim, 4L * CHUNK + 77);
        try (SegmentStore store = SegmentStore.open(cfg); Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = List.of(Payloads.patterned(arena, LARGE, PATTERN), Payloads.patterned(arena, LARGE, PATTERN));
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            assertEquals(Outcome.OK, r.outcome(0), r.toString());
            assertTrue(Payloads.matches(dst.get(0), keys.get(0)));
            assertEquals(Outcome.CORRUPT, r.outcome(1), r.toString());
            assertTrue(r.details().get(1).contains("CRC mismatch"), r.details().get(1));
            assertTrue(Payloads.untouched(dst.get(1), PATTERN), "not a byte of the corrupt block, its good chunks included");
            assertFalse(store.lookup(List.of(keys.get(1))).get(0), "the bad copy is unindexed");
            assertEquals(1, StoreFixture.counter(store, "spillway.corrupt.blocks"));
        }
    }

    @Test
    void blocksLargerThanTheWholePoolStillLoad() throws Exception {
        // Two reads in flight of 1 MiB each: a LARGE block needs six chunks, more than the pool has.
        List<BlockKey> keys = StoreFixture.keys("oversize", 4);
        try (SegmentStore store = SegmentStore.open(config(LoadIoEngine.AUTO, true, 2).build()); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, LARGE))).allOk());
            List<MemorySegment> a = Payloads.empty(arena, 2, LARGE);
            List<MemorySegment> b = Payloads.empty(arena, 2, LARGE);
            Task first = store.load(keys.subList(0, 2), a);
            Task second = store.load(keys.subList(2, 4), b);
            assertTrue(StoreFixture.await(first).allOk());
            assertTrue(StoreFixture.await(second).allOk());
            for (int i = 0; i < 2; i++) {
                assertTrue(Payloads.matches(a.get(i), keys.get(i)));
                assertTrue(Payloads.matches(b.get(i), keys.get(2 + i)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(LoadIoEngine.class)
    void manyMoreBlocksThanReadsInFlightAllArrive(LoadIoEngine engine) throws Exception {
        int block = 64 << 10;
        List<BlockKey> keys = StoreFixture.keys("many", 96);
        try (SegmentStore store = SegmentStore.open(config(engine, true, 3).build()); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, block))).allOk());
            List<Task> tasks = new ArrayList<>();
            List<List<MemorySegment>> dsts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                List<MemorySegment> d = Payloads.empty(arena, 24, block);
                dsts.add(d);
                tasks.add(store.load(keys.subList(24 * t, 24 * (t + 1)), d));
            }
            for (int t = 0; t < 4; t++) {
                TaskResult r = StoreFixture.await(tasks.get(t));
                assertTrue(r.allOk(), r.toString());
                for (int i = 0; i < 24; i++) {
                    assertTrue(Payloads.matches(dsts.get(t).get(i), keys.get(24 * t + i)), "task " + t + " block " + i);
                }
            }
        }
    }

    @Test
    void scatteredPiecesAcrossChunkBoundariesGetTheRightBytes() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("scatter", 1);
        try (SegmentStore store = SegmentStore.open(config(LoadIoEngine.AUTO, true, 32).build()); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, LARGE))).allOk());
            long[] sizes = {700 << 10, CHUNK + 3, 3L * CHUNK - (700 << 10), LARGE - (700 << 10) - (CHUNK + 3) - (3L * CHUNK - (700 << 10))};
            List<MemorySegment> pieces = new ArrayList<>();
            for (long s : sizes) {
                pieces.add(arena.allocate(s, 8));
            }
            TaskResult r = StoreFixture.await(store.loadScattered(keys, List.of(pieces)));
            assertTrue(r.allOk(), r.toString());
            MemorySegment whole = arena.allocate(LARGE, 8);
            long at = 0;
            for (MemorySegment p : pieces) {
                MemorySegment.copy(p, 0, whole, at, p.byteSize());
                at += p.byteSize();
            }
            assertTrue(Payloads.matches(whole, keys.getFirst()));
        }
    }

    @Test
    void copyJoinsChunksIntoPiecesOfAnySize() {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> chunks = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                MemorySegment m = arena.allocate(10);
                for (int i = 0; i < 10; i++) {
                    m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (c * 10 + i));
                }
                chunks.add(m);
            }
            List<MemorySegment> pieces = List.of(arena.allocate(7), arena.allocate(13), arena.allocate(5));
            LoadPath.copy(chunks, 10, pieces);
            int expected = 0;
            for (MemorySegment p : pieces) {
                for (int i = 0; i < p.byteSize(); i++) {
                    assertEquals((byte) expected++, p.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
                }
            }
        }
    }

    /** Flips one payload byte of {@code loc} in whichever segment file holds it. */
    private static void flipByte(Path data, BlockLocation loc, long at) throws IOException {
        Path file = new SegmentPath(loc.segmentId(), SegmentPath.State.SEALED).in(data);
        FileBytes.flip(file, loc.payloadOffset() + at, 0x01);
    }
}
