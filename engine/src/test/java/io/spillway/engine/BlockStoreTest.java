package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockStoreTest {

    @TempDir
    Path dir;

    @Test
    void dumpLookupLoadRoundTrip() throws Exception {
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(dir).build()); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = StoreFixture.keys("t", 10);
            TaskResult dumped = store.dump(keys, Payloads.buffers(arena, keys, 64 << 10)).await(Duration.ofSeconds(30));
            assertTrue(dumped.allOk(), dumped.toString());
            assertTrue(dumped.durable());
            assertEquals(10, store.lookupPrefix(keys));
            List<MemorySegment> dst = Payloads.empty(arena, 10, 64 << 10);
            TaskResult loaded = store.load(keys, dst).await(Duration.ofSeconds(30));
            assertTrue(loaded.allOk(), loaded.toString());
            for (int i = 0; i < 10; i++) {
                assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i);
            }
            List<BlockKey> other = StoreFixture.keys("other", 3);
            BitSet hits = store.lookup(List.of(keys.get(0), other.get(0), keys.get(5)));
            assertEquals("{0, 2}", hits.toString());
            assertEquals(0, store.lookupPrefix(other));
            TaskResult missing = store.load(other.subList(0, 1), Payloads.empty(arena, 1, 64 << 10)).await();
            assertEquals(Outcome.MISSING, missing.outcome(0));
        }
    }
}
