package io.spillway.engine;

import io.spillway.engine.api.TaskResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.Compression;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compression: lz4} stores a payload compressed only when that saves space, and both
 * kinds of block load back byte for byte.
 */
class CompressionTest {

    private static final int BLOCK = 256 << 10;
    private static final int BLOCKS = 16;

    @TempDir
    Path dir;

    @Test
    void compressibleBlocksRoundTripAndTakeLessSpace() throws Exception {
        StoreConfig config = lz4Config();
        List<BlockKey> keys = StoreFixture.keys("lz4-compressible", BLOCKS);
        Map<RecordKey, Codec> codecs = roundTripCodecs(config, keys, CompressionTest::fillCompressible);
        keys.forEach(k -> assertEquals(Codec.LZ4, codecs.get(k), "codec of " + k.shortHex()));
        try (SegmentStore store = SegmentStore.open(config)) {
            long raw = (long) BLOCKS * BLOCK;
            long allocated = store.stats().allocatedBytes();
            assertTrue(allocated < raw / 4, allocated + " bytes on disk for " + raw + " raw bytes");
        }
    }

    @Test
    void incompressibleBlocksRoundTripAndAreStoredRaw() throws Exception {
        StoreConfig config = lz4Config();
        List<BlockKey> keys = StoreFixture.keys("lz4-random", BLOCKS);
        Map<RecordKey, Codec> codecs = roundTripCodecs(config, keys, Payloads::fill);
        keys.forEach(k -> assertEquals(Codec.NONE, codecs.get(k), "random bytes are not worth compressing"));
        try (SegmentStore store = SegmentStore.open(config)) {
            assertTrue(store.stats().allocatedBytes() >= (long) BLOCKS * BLOCK);
        }
    }

    private StoreConfig lz4Config() {
        return StoreFixture.config(dir).compression(Compression.LZ4).build();
    }

    /** {@link #roundTrip}, then each record's codec as the sealed segments' footers say. */
    private static Map<RecordKey, Codec> roundTripCodecs(StoreConfig config, List<BlockKey> keys,
            BiConsumer<MemorySegment, BlockKey> fill) throws Exception {
        roundTrip(config, keys, fill);
        return storedCodecs(config.storageBackends().getFirst());
    }

    /** Dumps with the given content, closes, reopens and checks every block's bytes. */
    private static void roundTrip(StoreConfig config, List<BlockKey> keys, BiConsumer<MemorySegment, BlockKey> fill) throws Exception {
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            List<MemorySegment> src = new ArrayList<>();
            for (BlockKey k : keys) {
                MemorySegment m = arena.allocate(BLOCK, 4096);
                fill.accept(m, k);
                src.add(m);
            }
            TaskResult r = StoreFixture.await(store.dump(keys, src));
            assertTrue(r.allOk(), r.toString());
            assertEquals((long) BLOCKS * BLOCK, r.bytes(), "task bytes count raw payload");
        }
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            assertTrue(r.allOk(), r.toString());
            MemorySegment expected = arena.allocate(BLOCK);
            for (int i = 0; i < keys.size(); i++) {
                fill.accept(expected, keys.get(i));
                assertEquals(-1, dst.get(i).mismatch(expected), "block " + i);
            }
        }
    }

    /** A key-specific 512-byte random run repeated: compresses well under LZ4. */
    private static void fillCompressible(MemorySegment m, BlockKey key) {
        MemorySegment run = MemorySegment.ofArray(new byte[512]);
        Payloads.fill(run, key);
        for (long off = 0; off < m.byteSize(); off += run.byteSize()) {
            MemorySegment.copy(run, 0, m, off, Math.min(run.byteSize(), m.byteSize() - off));
        }
    }

    /** Each record's codec, read from the sealed segments' footers. */
    private static Map<RecordKey, Codec> storedCodecs(Path data) throws Exception {
        Map<RecordKey, Codec> out = new HashMap<>();
        ChannelFileIO io = new ChannelFileIO(4096);
        for (Path file : SegmentFiles.list(data, SegmentPath.State.SEALED)) {
            long id = SegmentPath.parse(file.getFileName().toString()).orElseThrow().segmentId();
            try (SegmentReader reader = SegmentReader.open(io, file, id)) {
                for (SegmentFooter.Entry e : reader.readFooter().entries()) {
                    out.put(e.key(), e.location().codec());
                }
            }
        }
        return out;
    }
}
