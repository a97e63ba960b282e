package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine tests' helpers that need engine types: small store configs, chained keys, task waits
 * and counters. Payloads derived from keys, and segment-file listings, are in testkit
 * ({@code Payloads}, {@code SegmentFiles}).
 */
public final class StoreFixture {

    private StoreFixture() {
    }

    public static StoreConfig.Builder config(Path dir) {
        return StoreConfig.builder().storageBackend(dir.resolve("data")).segmentSize(ByteSize.ofMiB(8))
                .writeGroupSize(ByteSize.ofMiB(1)).streamNumber(2);
    }

    public static List<BlockKey> keys(String namespace, int n) {
        List<BlockKey> out = new ArrayList<>(n);
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < n; i++) {
            parent = BlockKey.chain(parent, new int[] {i, i + 1, i + 2}, namespace);
            out.add(parent);
        }
        return out;
    }

    /** Waits for a task well past any deadline the tests use; fails if it never completes. */
    public static TaskResult await(Task task) throws InterruptedException {
        TaskResult r = task.await(Duration.ofSeconds(60));
        assertNotNull(r, task + " did not complete");
        return r;
    }

    /** Loads {@code keys} (blocks of {@code blockBytes}) and asserts that each holds its key's payload. */
    public static void assertLoadsExactly(SegmentStore store, Arena arena, List<BlockKey> keys, int blockBytes)
            throws InterruptedException {
        List<MemorySegment> dst = Payloads.empty(arena, keys.size(), blockBytes);
        TaskResult r = await(store.load(keys, dst));
        assertTrue(r.allOk(), r.toString());
        for (int i = 0; i < keys.size(); i++) {
            assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "block " + i);
        }
    }

    /** A store counter's value in this process, by its Micrometer name ({@code spillway.dump.blocks}). */
    public static long counter(SegmentStore store, String name) {
        return (long) store.metrics().get(name).counter().count();
    }
}
