package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.testkit.FileBytes;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record whose payload was damaged on disk is reported CORRUPT, never served, and dropped from
 * the index; its neighbours are unaffected.
 */
class CorruptRecordTest {

    private static final int BLOCK = 64 << 10;
    private static final byte PATTERN = (byte) 0xa5;

    @TempDir
    Path dir;

    @Test
    void flippedPayloadByteIsReportedCorruptAndNeverReturned() throws Exception {
        StoreConfig config = StoreFixture.config(dir).streamNumber(1).build();
        List<BlockKey> keys = StoreFixture.keys("corrupt", 8);
        BlockKey victim = keys.get(5);
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, BLOCK))).allOk());
        }
        flipPayloadByte(config.storageBackends().getFirst(), victim, BLOCK / 2 + 7);

        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            assertEquals(keys.size(), store.lookup(keys).cardinality(), "corruption is found by loads, not by lookups");
            List<MemorySegment> dst = keys.stream().map(k -> Payloads.patterned(arena, BLOCK, PATTERN)).toList();
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            for (int i = 0; i < keys.size(); i++) {
                if (keys.get(i).equals(victim)) {
                    assertEquals(Outcome.CORRUPT, r.outcome(i), r.toString());
                    assertTrue(r.details().get(i).contains("CRC mismatch"), r.details().get(i));
                    assertTrue(Payloads.untouched(dst.get(i), PATTERN), "not a byte of a corrupt block reaches the destination");
                } else {
                    assertEquals(Outcome.OK, r.outcome(i), "block " + i);
                    assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i);
                }
            }
            assertEquals((long) (keys.size() - 1) * BLOCK, r.bytes());
            assertEquals(1, StoreFixture.counter(store, "spillway.corrupt.blocks"));

            // The bad copy is unindexed: gone from lookups, a miss (not corrupt again) on the next load.
            assertFalse(store.lookup(List.of(victim)).get(0));
            assertEquals(5, store.lookupPrefix(keys));
            MemorySegment again = Payloads.patterned(arena, BLOCK, PATTERN);
            assertEquals(Outcome.MISSING, StoreFixture.await(store.load(List.of(victim), List.of(again))).outcome(0));
            assertTrue(Payloads.untouched(again, PATTERN));
            assertEquals(1, StoreFixture.counter(store, "spillway.corrupt.blocks"));

            // A fresh dump of the key is written anew and serves good bytes.
            TaskResult redump = StoreFixture.await(store.dump(List.of(victim), Payloads.buffers(arena, List.of(victim), BLOCK)));
            assertTrue(redump.allOk());
            assertEquals(0, redump.deduplicated());
            assertEquals(Outcome.OK, StoreFixture.await(store.load(List.of(victim), List.of(again))).outcome(0));
            assertTrue(Payloads.matches(again, victim));
        }
    }

    /** Finds {@code key}'s payload through its sealed segment's footer and flips one byte of it. */
    private static void flipPayloadByte(Path data, BlockKey key, int at) throws IOException {
        ChannelFileIO io = new ChannelFileIO(4096);
        for (Path file : SegmentFiles.list(data, SegmentPath.State.SEALED)) {
            long id = SegmentPath.parse(file.getFileName().toString()).orElseThrow().segmentId();
            SegmentFooter footer;
            try (SegmentReader reader = SegmentReader.open(io, file, id)) {
                footer = reader.readFooter();
            }
            for (SegmentFooter.Entry e : footer.entries()) {
                if (e.key().equals(key)) {
                    BlockLocation loc = e.location();
                    assertEquals(BLOCK, loc.storedLength());
                    FileBytes.flip(file, loc.payloadOffset() + at, 0x10);
                    return;
                }
            }
        }
        throw new AssertionError("key " + key.shortHex() + " is in no sealed segment's footer");
    }
}
