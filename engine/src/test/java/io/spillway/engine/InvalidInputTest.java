package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Misuse is refused with a message that says what was wrong: at the call for malformed
 * arguments, as a per-block outcome for a block that cannot be served, and with
 * IllegalStateException (or an IO_ERROR outcome for tasks) once the store is closed.
 */
class InvalidInputTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    private SegmentStore store;
    private Arena arena;
    private final List<BlockKey> keys = StoreFixture.keys("invalid", 3);

    @BeforeEach
    void open() throws Exception {
        store = SegmentStore.open(StoreFixture.config(dir).segmentSize(ByteSize.ofMiB(1)).timeout(Duration.ofSeconds(5)).build());
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        arena.close();
    }

    @Test
    void mismatchedListSizesAreRefused() {
        List<MemorySegment> two = Payloads.buffers(arena, keys.subList(0, 2), BLOCK);
        assertRefused("3 keys but 2 sources", () -> store.dump(keys, two));
        assertRefused("3 keys but 2 destinations", () -> store.load(keys, two));
        assertRefused("3 keys but 0 sources", () -> store.dumpScattered(keys, List.of()));
    }

    @Test
    void nullKeysAndBuffersAreRefusedByIndex() {
        List<BlockKey> withNull = new ArrayList<>(keys);
        withNull.set(1, null);
        List<MemorySegment> three = Payloads.buffers(arena, keys, BLOCK);
        assertRefused("keys[1] is null", () -> store.dump(withNull, three));
        assertRefused("keys[1] is null", () -> store.load(withNull, three));
        assertRefused("keys[1] is null", () -> store.lookup(withNull));
        assertRefused("keys[1] is null", () -> store.delete(withNull));

        List<MemorySegment> nullBuffer = new ArrayList<>(three);
        nullBuffer.set(2, null);
        assertRefused("sources[2] is null", () -> store.dump(keys, nullBuffer));
        assertRefused("destinations[2] is null", () -> store.load(keys, nullBuffer));
        List<List<MemorySegment>> nullPiece = new ArrayList<>();
        three.forEach(b -> nullPiece.add(List.of(b)));
        nullPiece.set(0, Arrays.asList(three.get(0), null));
        assertRefused("sources[0] has a null piece", () -> store.dumpScattered(keys, nullPiece));
        nullPiece.set(0, List.of());
        assertRefused("sources[0] has no pieces", () -> store.dumpScattered(keys, nullPiece));

        assertThrows(NullPointerException.class, () -> store.dump(null, three));
        assertThrows(NullPointerException.class, () -> store.dump(keys, null));
    }

    @Test
    void blocksOutsideTheSizeLimitsAreRefused() {
        List<BlockKey> one = keys.subList(0, 1);
        assertRefused("sources[0] is 4095 bytes; a block is 4096 bytes to 256 MiB",
                () -> store.dump(one, List.of(arena.allocate(4095))));
        assertRefused("destinations[0] is 100 bytes", () -> store.load(one, List.of(arena.allocate(100))));
        // 257 pieces of one MiB (the same memory, repeated): over 256 MiB without allocating it.
        MemorySegment mib = arena.allocate(1 << 20);
        assertRefused("sources[0] is 269484032 bytes; a block is 4096 bytes to 256 MiB",
                () -> store.dumpScattered(one, List.of(Collections.nCopies(257, mib))));
        // 2 MiB is a valid block size, but not in a 1 MiB segment.
        assertRefused("block 0 of 2097152 bytes does not fit in a segment of 1 MiB; raise segment_size",
                () -> store.dump(one, List.of(arena.allocate(2 << 20))));
        assertEquals(0, StoreFixture.counter(store, "spillway.dump.blocks"), "nothing refused was written");
    }

    @Test
    void loadIntoDestinationOfWrongSizeIsAnIoErrorNamingBothSizes() throws Exception {
        List<BlockKey> one = keys.subList(0, 1);
        assertTrue(StoreFixture.await(store.dump(one, Payloads.buffers(arena, one, BLOCK))).allOk());
        MemorySegment small = Payloads.patterned(arena, 8192, (byte) 0x5a);
        TaskResult r = StoreFixture.await(store.load(List.of(one.get(0), keys.get(1)),
                List.of(small, arena.allocate(BLOCK))));
        assertEquals(Outcome.IO_ERROR, r.outcome(0));
        assertEquals("destination is 8192 bytes but the block is 16384", r.details().get(0));
        assertEquals(Outcome.MISSING, r.outcome(1), "the other block of the task is unaffected");
        assertTrue(Payloads.untouched(small, (byte) 0x5a), "nothing written into the wrong-sized destination");
    }

    @Test
    void readOnlyDestinationIsRefused() {
        MemorySegment ro = arena.allocate(BLOCK).asReadOnly();
        assertRefused("a load destination is read-only", () -> store.load(keys.subList(0, 1), List.of(ro)));
    }

    @Test
    void confinedOrFreedBuffersAreRefusedAtSubmission() throws Exception {
        // The store's own threads copy from sources and into destinations: memory confined to
        // the caller's thread cannot be touched by them, so it must be refused up front (a load
        // into it used to leave its task unfinished forever, past its deadline).
        List<BlockKey> one = keys.subList(0, 1);
        assertTrue(StoreFixture.await(store.dump(one, Payloads.buffers(arena, one, BLOCK))).allOk());
        MemorySegment freed;
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment buf = confined.allocate(BLOCK);
            assertRefused("sources[0] is confined to one thread", () -> store.dump(keys.subList(1, 2), List.of(buf)));
            assertRefused("destinations[0] is confined to one thread", () -> store.load(one, List.of(buf)));
        }
        try (Arena shared = Arena.ofShared()) {
            freed = shared.allocate(BLOCK);
        }
        assertRefused("sources[0] is freed", () -> store.dump(keys.subList(1, 2), List.of(freed)));
        assertRefused("destinations[0] is freed", () -> store.load(one, List.of(freed)));
        assertEquals(1, store.stats().segments(), "no segment was abandoned over a bad buffer");
    }

    @Test
    void useAfterCloseIsRefused() throws Exception {
        store.close();
        store.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> store.lookup(keys));
        assertThrows(IllegalStateException.class, () -> store.lookupPrefix(keys));
        assertThrows(IllegalStateException.class, () -> store.commit(keys, true));
        assertThrows(IllegalStateException.class, () -> store.delete(keys));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.stats());
        assertEquals("the store is closed", e.getMessage());

        TaskResult dump = StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, BLOCK)));
        assertEquals(List.of(Outcome.IO_ERROR, Outcome.IO_ERROR, Outcome.IO_ERROR), dump.outcomes());
        assertEquals("the store is closed", dump.details().get(0));
        TaskResult load = StoreFixture.await(store.load(keys, Payloads.empty(arena, 3, BLOCK)));
        assertEquals(3, load.counts().get(Outcome.IO_ERROR));
    }

    private static void assertRefused(String message, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
