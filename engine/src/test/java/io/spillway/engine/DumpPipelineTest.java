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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
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
            // The stages' timers saw every group: each group written, ordered and published
            // once (a publisher turn may take several), synced per turn unless durability is none.
            long groups = timerCount(store, "spillway.write.group.latency");
            assertTrue(groups >= 1 && groups <= keys.size(), groups + " group writes");
            assertEquals(groups, timerCount(store, "spillway.write.group.ordering"));
            long batches = timerCount(store, "spillway.publish.latency");
            assertTrue(batches >= 1 && batches <= groups, batches + " index batches for " + groups + " groups");
            long syncs = timerCount(store, "spillway.sync.latency");
            assertEquals(StoreFixture.counter(store, "spillway.syncs"), syncs);
            assertEquals(durability == Durability.NONE, syncs == 0, syncs + " syncs");
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

    /** The close log's line on the stages: nothing for a store that wrote nothing, else means. */
    @Test
    void stagesSummaryNamesEachStagesCountAndMean() {
        StoreMetrics m = StoreMetrics.create();
        assertEquals("", m.stagesSummary());
        m.groupBytes.increment(4 << 20);
        m.groupWrite.record(8, TimeUnit.MILLISECONDS);
        m.groupWrite.record(12, TimeUnit.MILLISECONDS);
        m.groupOrdering.record(1, TimeUnit.MILLISECONDS);
        m.groupOrdering.record(1, TimeUnit.MILLISECONDS);
        m.publish.record(500, TimeUnit.MICROSECONDS);
        assertEquals("; group commit: 2 group writes of 2.0 MiB on average, 10.00 ms each; waiting for earlier writes 1.00 ms;"
                + " 0 syncs, 0.00 ms each; 1 index batches, 0.50 ms each", m.stagesSummary());
    }

    private static long timerCount(SegmentStore store, String name) {
        return store.metrics().get(name).timer().count();
    }
}
