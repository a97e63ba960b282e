package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Many group writes in flight per writer ({@code write_queue_depth}) across segment rollovers:
 * every dump that was acknowledged loads back, before and after a reopen, under every durability,
 * and close seals every segment (a retirement waits for the writes into its segment).
 */
class WriteWindowTest {

    private static final int BLOCK = 64 << 10;
    private static final int TASKS = 40;
    private static final int PER_TASK = 5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "depth {0}, {1}")
    @CsvSource({"1, none", "8, none", "8, batch", "8, always", "1, batch"})
    void everyAcknowledgedBlockLoadsBackAcrossRolloversAndReopen(int depth, String durability) throws Exception {
        // 1 MiB segments hold 14 blocks of 64 KiB: the 200 blocks roll over many times while writes are in flight.
        StoreConfig config = StoreFixture.config(dir).segmentSize(ByteSize.ofMiB(1)).writeQueueDepth(depth)
                .durability(Durability.parse(durability)).build();
        Path data = config.storageBackends().getFirst();
        List<BlockKey> keys = StoreFixture.keys("window", TASKS * PER_TASK);
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            List<Task> tasks = new ArrayList<>();
            for (int t = 0; t < TASKS; t++) { // all submitted before any is awaited
                List<BlockKey> part = keys.subList(t * PER_TASK, (t + 1) * PER_TASK);
                tasks.add(store.dump(part, Payloads.buffers(arena, part, BLOCK)));
            }
            for (Task t : tasks) {
                TaskResult r = StoreFixture.await(t);
                assertTrue(r.allOk(), r.toString());
            }
            StoreFixture.assertLoadsExactly(store, arena, keys, BLOCK);
        }
        assertEquals(List.of(), SegmentFiles.list(data, SegmentPath.State.OPEN), "close sealed every segment");
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            assertEquals(keys.size(), store.lookupPrefix(keys));
            StoreFixture.assertLoadsExactly(store, arena, keys, BLOCK);
        }
    }
}
