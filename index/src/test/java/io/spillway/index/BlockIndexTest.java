package io.spillway.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index's own API: batches and their accounting, segment markers, metadata, reopen and close. */
class BlockIndexTest {

    @TempDir
    Path dir;

    private static RecordKey key(int i) {
        byte[] b = new byte[RecordKey.BYTES];
        b[0] = (byte) i;
        b[1] = (byte) (i >> 8);
        b[31] = 1;
        return RecordKey.of(b);
    }

    private static BlockLocation loc(long segment, int i, int stored) {
        return new BlockLocation(segment, 4096L * (i + 1), stored, stored * 2, 0x1000 + i, Codec.NONE, 0, 1_700_000_000_000L + i);
    }

    private BlockIndex open() throws IndexException {
        return BlockIndex.open(dir.resolve("index"), new IndexOptions(8L << 20, true));
    }

    @Test
    void batchesIndexKeysAndSumTheirAccountingPerSegment() throws Exception {
        try (BlockIndex index = open()) {
            try (BlockIndex.Batch b = index.batch()) {
                for (int i = 0; i < 10; i++) {
                    b.put(key(i), loc(i < 6 ? 1 : 2, i, 100 + i));
                }
                index.write(b, true);
            }
            try (BlockIndex.Batch b = index.batch()) {
                b.remove(key(0), loc(1, 0, 100)).remove(key(7), loc(2, 7, 107));
                index.write(b, false);
            }
            assertEquals(Optional.of(loc(1, 3, 103)), index.get(key(3)));
            assertEquals(Optional.empty(), index.get(key(0)));
            List<BlockLocation> all = index.getAll(List.of(key(0), key(6), key(42)));
            assertNull(all.get(0));
            assertEquals(loc(2, 6, 106), all.get(1));
            assertNull(all.get(2));
            Map<Long, SegmentStats> stats = index.segmentStats();
            assertEquals(new SegmentStats(1, 100 + 101 + 102 + 103 + 104 + 105, 101 + 102 + 103 + 104 + 105, 6, 5), stats.get(1L));
            assertEquals(new SegmentStats(2, 106 + 107 + 108 + 109, 106 + 108 + 109, 4, 3), stats.get(2L));
            BitSet expected = new BitSet();
            expected.set(1);
            assertEquals(expected, index.contains(List.of(key(0), key(1), key(99))));
            assertEquals(0, index.prefixHits(List.of(key(0), key(1))));
            assertEquals(2, index.prefixHits(List.of(key(1), key(2), key(0))));
        }
        try (BlockIndex index = open()) {
            assertEquals(2, index.prefixHits(List.of(key(1), key(2), key(0))), "the key table is rebuilt from RocksDB at open");
            List<RecordKey> seen = new ArrayList<>();
            index.forEach((k, l) -> seen.add(k));
            assertEquals(8, seen.size());
            index.forgetSegment(2);
            assertEquals(List.of(1L), List.copyOf(index.segmentStats().keySet()));
        }
    }

    @Test
    void segmentMarkersAndMetadata() throws Exception {
        try (BlockIndex index = open()) {
            assertEquals(0, index.watermark(5));
            assertFalse(index.knownSealed(5));
            try (BlockIndex.Batch b = index.batch()) {
                b.watermark(5, 65536).putMeta("next", 77);
                index.write(b, true);
            }
            assertEquals(65536, index.watermark(5));
            index.markSealed(5);
            assertTrue(index.knownSealed(5));
            try (BlockIndex.Batch b = index.batch()) {
                b.fence(5);
                index.write(b, true);
            }
            assertEquals(Long.MAX_VALUE, index.watermark(5), "a fenced segment's fate is decided throughout");
            assertEquals(Optional.of(77L), index.getMeta("next"));
            try (BlockIndex.Batch b = index.batch()) {
                b.deleteMeta("next");
                index.write(b, true);
            }
            assertEquals(Optional.empty(), index.getMeta("next"));
            assertEquals(Map.of(5L, new SegmentStats(5, 0, 0, 0, 0)), index.segmentStats(), "markers count as zero");
        }
    }

    @Test
    void aClosedIndexRefusesEveryCallWithAnIndexException() throws Exception {
        BlockIndex index = open();
        BlockIndex.Batch empty = index.batch();
        index.close();
        index.close(); // idempotent
        assertThrows(IndexException.class, () -> index.get(key(1)));
        assertThrows(IndexException.class, () -> index.getAll(List.of()));
        assertThrows(IndexException.class, () -> index.write(empty, true));
        assertThrows(IndexException.class, () -> index.contains(List.of(key(1))));
        assertThrows(IndexException.class, index::segmentStats);
        assertThrows(IndexException.class, () -> index.watermark(1));
        empty.close();
    }

    @Test
    void openingAMissingIndexWithoutCreateFails() {
        IndexException e = assertThrows(IndexException.class,
                () -> BlockIndex.open(dir.resolve("none"), new IndexOptions(8L << 20, false)));
        assertTrue(e.getMessage().contains("no index at"), e.getMessage());
    }
}
