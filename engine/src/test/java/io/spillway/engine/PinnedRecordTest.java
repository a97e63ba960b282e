package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.spillway.testkit.FileBytes;
import io.spillway.testkit.Payloads;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SegmentStore#pin}: a reader outside the load path (the GPU module's) holds the same
 * segment reference as a load, so an eviction waits for it, and reads through the store's shared
 * descriptor (the POSIX path of {@code DeviceFileReader}).
 */
class PinnedRecordTest {

    private static final int BLOCK = 256 << 10;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SegmentStore open() throws IOException {
        // 4 MiB segments: 40 blocks fill two sealed segments and part of a third. The timeout is
        // the GC's drain limit too; it is long so that only the pin can end the wait.
        return SegmentStore.open(StoreFixture.config(dir).segmentSize(ByteSize.ofMiB(4)).streamNumber(1)
                .timeout(DEADLINE).build());
    }

    private static List<BlockKey> dumped(SegmentStore store, Arena arena, String ns) throws InterruptedException {
        List<BlockKey> keys = StoreFixture.keys(ns, 40);
        for (int i = 0; i < keys.size(); i += 4) {
            List<BlockKey> batch = keys.subList(i, i + 4);
            TaskResult r = StoreFixture.await(store.dump(batch, Payloads.buffers(arena, batch, BLOCK)));
            assertTrue(r.allOk(), r.toString());
        }
        return keys;
    }

    @Test
    void aPinReadsTheVerifiedPayloadAndMissesWhatIsNotThere() throws Exception {
        try (SegmentStore store = open(); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = dumped(store, arena, "read");
            assertEquals(Optional.empty(), store.pin(StoreFixture.keys("never-dumped", 1).getFirst()));
            try (PinnedRecord pin = store.pin(keys.get(3)).orElseThrow()) {
                assertEquals(store.context().index().get(keys.get(3)).orElseThrow(), pin.location());
                MemorySegment dst = arena.allocate(pin.readLength(), 4096);
                pin.readVerified(dst);
                assertTrue(Payloads.matches(dst.asSlice(0, BLOCK), keys.get(3)));
                assertThrows(IllegalArgumentException.class, () -> pin.readVerified(arena.allocate(4096, 4096)),
                        "a destination shorter than the read");
                assertTrue(Files.exists(pin.file()), pin.file().toString());
                pin.close();
                pin.close(); // idempotent
                assertThrows(IllegalStateException.class, () -> pin.readVerified(dst));
            }
        }
    }

    @Test
    void aCorruptPayloadIsRefusedThroughThePin() throws Exception {
        try (SegmentStore store = open(); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = dumped(store, arena, "flip");
            try (PinnedRecord pin = store.pin(keys.getFirst()).orElseThrow()) {
                FileBytes.flip(pin.file(), pin.location().payloadOffset() + 100, 0x5a);
                MemorySegment dst = arena.allocate(pin.readLength(), 4096);
                assertThrows(CorruptRecordException.class, () -> pin.readVerified(dst));
            }
        }
    }

    @Test
    void anEvictionWaitsForAnOpenPinAndFinishesWhenItCloses() throws Exception {
        try (SegmentStore store = open(); Arena arena = Arena.ofShared()) {
            List<BlockKey> keys = dumped(store, arena, "evict");
            PinnedRecord pin = store.pin(keys.getFirst()).orElseThrow();
            long id = pin.location().segmentId();
            Path data = dir.resolve("data");
            Path sealed = new SegmentPath(id, SegmentPath.State.SEALED).in(data);
            Path deleting = new SegmentPath(id, SegmentPath.State.DELETING).in(data);
            assertTrue(Files.exists(sealed), "the first block's segment is sealed: " + sealed);
            CompletableFuture<GcReport> gc = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.gc(0); // evict every sealed segment
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                // Steps 2 and 3 of the eviction (rename to .deleting, unindex) do not wait; step 4
                // (drain) does. Once the rename is visible, the GC must stay there.
                waitFor(() -> Files.exists(deleting), "the eviction renames segment " + id + " to .deleting");
                waitFor(() -> store.lookup(List.of(keys.getFirst())).isEmpty(), "the eviction unindexes its blocks");
                assertEquals(Optional.empty(), store.pin(keys.get(1)), "a new pin of an evicted key misses");
                assertThrows(TimeoutException.class, () -> gc.get(500, TimeUnit.MILLISECONDS),
                        "the eviction waits for the open pin");
                assertTrue(Files.exists(deleting), "the file is not deleted under the pin");
                MemorySegment dst = arena.allocate(pin.readLength(), 4096);
                pin.readVerified(dst);
                assertTrue(Payloads.matches(dst.asSlice(0, BLOCK), keys.getFirst()), "the pinned record still reads right");
            } finally {
                pin.close();
            }
            GcReport report = gc.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(report.evictedSegments() > 0, report.toString());
            assertFalse(Files.exists(deleting), "deleted once the pin closed");
            assertFalse(Files.exists(sealed));
        }
    }

    /** Polls {@code condition} until it holds; fails after {@link #DEADLINE}. */
    private static void waitFor(CheckedCondition condition, String what) throws Exception {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @FunctionalInterface
    private interface CheckedCondition {
        boolean holds() throws Exception;
    }
}
