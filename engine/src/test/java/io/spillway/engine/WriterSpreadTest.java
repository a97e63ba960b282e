package io.spillway.engine;

import io.spillway.engine.api.TaskResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks small enough for one group each still rotate over every writer (stream_number). */
class WriterSpreadTest {

    @TempDir
    Path dir;

    @Test
    void consecutiveSmallTasksGoToDifferentWriters() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("spread", 4);
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(dir).build()); Arena arena = Arena.ofShared()) {
            for (int t = 0; t < 2; t++) {
                List<BlockKey> two = keys.subList(2 * t, 2 * t + 2);
                TaskResult r = StoreFixture.await(store.dump(two, Payloads.buffers(arena, two, 8192)));
                assertTrue(r.allOk(), r.toString());
            }
            // Each writer owns its active segment: two writers used means two open segments.
            assertEquals(2, SegmentFiles.list(dir.resolve("data"), SegmentPath.State.OPEN).size());
        }
    }
}
