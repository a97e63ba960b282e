package io.spillway.engine;

import io.spillway.engine.api.TaskResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same round trip (dump, close, reopen, load, compare) through each IO path: O_DIRECT, the
 * buffered POSIX fallback and the portable FileChannel implementation. Blocks of odd sizes and
 * unaligned heap buffers check that the direct path pads and bounces correctly.
 */
class DirectAndBufferedIoTest {

    /** How the store does its IO. */
    enum Mode {
        DIRECT, BUFFERED, CHANNEL;

        SegmentStore open(StoreConfig base) throws IOException {
            return switch (this) {
                case DIRECT -> SegmentStore.open(base.toBuilder().ioDirect(true).build());
                case BUFFERED -> SegmentStore.open(base.toBuilder().ioDirect(false).build());
                case CHANNEL -> SegmentStore.open(base, new SimpleMeterRegistry(), (dir, direct, alignment) -> new ChannelFileIO(alignment));
            };
        }
    }

    /** Sizes that are and are not multiples of the 4 KiB alignment. */
    private static final int[] SIZES = {4096, 5000, 65536, 100_003, 256 << 10};

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void roundTripSurvivesReopen(Mode mode) throws Exception {
        if (mode == Mode.DIRECT) {
            assumeDirectIoWorks();
        }
        StoreConfig config = StoreFixture.config(dir).build();
        List<BlockKey> keys = StoreFixture.keys("io-" + mode, SIZES.length * 4);
        try (SegmentStore store = mode.open(config); Arena arena = Arena.ofShared()) {
            assertEquals(mode == Mode.DIRECT, store.directIo(), "directIo() for " + mode);
            assertEquals(mode == Mode.DIRECT, store.stats().directIo());
            TaskResult dumped = StoreFixture.await(store.dump(keys, sources(arena, keys)));
            assertTrue(dumped.allOk(), dumped.toString());
            assertEquals(0, dumped.deduplicated());
            assertTrue(dumped.durable(), "durability batch acknowledges durable blocks");
        }
        try (SegmentStore store = mode.open(config)) {
            assertLoadsExactly(store, keys);
        }
    }

    @Test
    void storeWrittenWithDirectIoLoadsThroughBufferedIoAndBack() throws Exception {
        assumeDirectIoWorks();
        StoreConfig config = StoreFixture.config(dir).build();
        List<BlockKey> first = StoreFixture.keys("direct-first", 10);
        List<BlockKey> second = StoreFixture.keys("buffered-second", 10);
        try (SegmentStore store = Mode.DIRECT.open(config); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(first, sources(arena, first))).allOk());
        }
        try (SegmentStore store = Mode.BUFFERED.open(config); Arena arena = Arena.ofShared()) {
            assertLoadsExactly(store, first);
            assertTrue(StoreFixture.await(store.dump(second, sources(arena, second))).allOk());
        }
        try (SegmentStore store = Mode.DIRECT.open(config)) {
            assertLoadsExactly(store, first);
            assertLoadsExactly(store, second);
        }
    }

    @Test
    void scatteredHeapPiecesRoundTripThroughDirectIo() throws Exception {
        assumeDirectIoWorks();
        List<BlockKey> keys = StoreFixture.keys("pieces", 6);
        int[] pieces = {3000, 4097, 1, 12_000}; // 19 098 bytes, no piece aligned
        int total = 19_098;
        try (SegmentStore store = Mode.DIRECT.open(StoreFixture.config(dir).build())) {
            List<List<MemorySegment>> src = new ArrayList<>();
            for (BlockKey k : keys) {
                MemorySegment whole = MemorySegment.ofArray(new byte[total]);
                Payloads.fill(whole, k);
                src.add(split(whole, pieces));
            }
            assertTrue(StoreFixture.await(store.dumpScattered(keys, src)).allOk());

            List<MemorySegment> wholes = new ArrayList<>();
            List<List<MemorySegment>> dst = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                MemorySegment whole = MemorySegment.ofArray(new byte[total]);
                wholes.add(whole);
                dst.add(split(whole, new int[] {total - 5, 5}));
            }
            TaskResult loaded = StoreFixture.await(store.loadScattered(keys, dst));
            assertTrue(loaded.allOk(), loaded.toString());
            assertEquals((long) total * keys.size(), loaded.bytes());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(Payloads.matches(wholes.get(i), keys.get(i)), "block " + i);
            }
        }
    }

    private void assumeDirectIoWorks() throws IOException {
        Path probeDir = Files.createDirectories(dir.resolve("probe"));
        DirectIoProbe.Result probe = DirectIoProbe.probe(probeDir, 4096);
        Assumptions.assumeTrue(probe.directIo(), "O_DIRECT unavailable here: " + probe.reason());
    }

    /** Heap sources for the odd sizes, so the direct path must copy them into aligned staging. */
    private static List<MemorySegment> sources(Arena arena, List<BlockKey> keys) {
        List<MemorySegment> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            int size = SIZES[i % SIZES.length];
            MemorySegment m = i % 2 == 0 ? MemorySegment.ofArray(new byte[size]) : arena.allocate(size, 1);
            Payloads.fill(m, keys.get(i));
            out.add(m);
        }
        return out;
    }

    private static void assertLoadsExactly(SegmentStore store, List<BlockKey> keys) throws Exception {
        assertEquals(keys.size(), store.lookupPrefix(keys));
        try (Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                int size = SIZES[i % SIZES.length];
                dst.add(i % 2 == 0 ? arena.allocate(size, 4096) : MemorySegment.ofArray(new byte[size]));
            }
            TaskResult loaded = StoreFixture.await(store.load(keys, dst));
            assertTrue(loaded.allOk(), loaded.toString());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i + " of " + dst.get(i).byteSize() + " bytes");
            }
        }
    }

    private static List<MemorySegment> split(MemorySegment whole, int[] sizes) {
        List<MemorySegment> out = new ArrayList<>();
        long off = 0;
        for (int s : sizes) {
            out.add(whole.asSlice(off, s));
            off += s;
        }
        return out;
    }
}
