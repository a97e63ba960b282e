package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Helpers shared by the engine tests: small stores, keys, and content derived from keys. */
public final class StoreFixture {

    private StoreFixture() {
    }

    public static StoreConfig.Builder config(Path dir) {
        return StoreConfig.builder().storageBackend(dir.resolve("data")).segmentSize(ByteSize.ofMiB(8))
                .bufferSize(ByteSize.ofMiB(1)).streamNumber(2);
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

    /** Deterministic bytes for {@code key}: verification needs no copy of what was dumped. */
    public static MemorySegment content(Arena arena, BlockKey key, int size) {
        MemorySegment m = arena.allocate(size, 4096);
        fill(m, key);
        return m;
    }

    public static void fill(MemorySegment m, BlockKey key) {
        SplittableRandom r = new SplittableRandom(MemorySegment.ofArray(key.toBytes()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        long n = m.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
        for (; i < n; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
    }

    public static boolean matches(MemorySegment m, BlockKey key) {
        MemorySegment expected = Arena.ofAuto().allocate(m.byteSize());
        fill(expected, key);
        return m.mismatch(expected) == -1;
    }

    public static List<MemorySegment> buffers(Arena arena, List<BlockKey> keys, int size) {
        List<MemorySegment> out = new ArrayList<>();
        for (BlockKey k : keys) {
            out.add(content(arena, k, size));
        }
        return out;
    }

    public static List<MemorySegment> empty(Arena arena, int n, int size) {
        List<MemorySegment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(arena.allocate(size, 4096));
        }
        return out;
    }

    /** A buffer of {@code size} bytes, every byte {@code b}: a destination whose changes are visible. */
    public static MemorySegment patterned(Arena arena, int size, byte b) {
        MemorySegment m = arena.allocate(size, 4096);
        m.fill(b);
        return m;
    }

    /** Whether every byte of {@code m} is still {@code b}. */
    public static boolean untouched(MemorySegment m, byte b) {
        for (long i = 0; i < m.byteSize(); i++) {
            if (m.get(ValueLayout.JAVA_BYTE, i) != b) {
                return false;
            }
        }
        return true;
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

    /** The segment files in the store's data directory with the given state, sorted by name. */
    public static List<Path> segmentFiles(Path dataDir, SegmentPath.State state) throws IOException {
        try (Stream<Path> files = Files.list(dataDir)) {
            return files.filter(f -> SegmentPath.parse(f.getFileName().toString()).map(p -> p.state() == state).orElse(false))
                    .sorted().toList();
        }
    }
}
