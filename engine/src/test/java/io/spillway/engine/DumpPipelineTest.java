package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The three-stage group commit (append, sync, publish) under every durability mode: many tasks
 * in flight at once across segment rollovers, each acknowledged with the right durability, all
 * of them loadable after a clean reopen (every retirement and the stop went through in order).
 */
class DumpPipelineTest {

    private static final int BLOCK = 256 << 10;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Durability.class)
    void manyTasksInFlightAreAcknowledgedAndSurviveAReopen(Durability durability) throws Exception {
        // 2 MiB segments: 96 blocks of 256 KiB roll over many segments while groups are in flight.
        StoreConfig config = StoreFixture.config(dir).segmentSize(ByteSize.ofMiB(2)).durability(durability).build();
        List<BlockKey> keys = StoreFixture.keys("pipeline-" + durability, 96);
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            List<Task> tasks = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                List<BlockKey> part = keys.subList(8 * t, 8 * (t + 1));
                tasks.add(store.dump(part, Payloads.buffers(arena, part, BLOCK)));
            }
            for (Task task : tasks) {
                TaskResult r = StoreFixture.await(task);
                assertTrue(r.allOk(), r.toString());
                assertEquals(durability != Durability.NONE, r.durable(), r.toString());
            }
            assertEquals(keys.size(), store.lookupPrefix(keys));
        }
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            assertEquals(keys.size(), store.lookupPrefix(keys), "every block is still indexed after a clean reopen");
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            assertTrue(r.allOk(), r.toString());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i);
            }
        }
    }
}
