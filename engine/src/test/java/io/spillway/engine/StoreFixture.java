package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
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

    /** A store counter's value in this process, by its Micrometer name ({@code spillway.dump.blocks}). */
    public static long counter(SegmentStore store, String name) {
        return (long) store.metrics().get(name).counter().count();
    }
}
