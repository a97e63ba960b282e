package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.StoreConfig;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.io.FaultyFileIO;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture of tests that hang or fail a store's IO: a fresh store over a {@link FaultyFileIO}
 * per test, one writer (so a later dump's success proves the writer is past a hung group), a
 * deadline of {@value #TIMEOUT_MS} ms, and blocks of {@value #BLOCK} bytes.
 */
abstract class FaultyStoreCase {

    static final long TIMEOUT_MS = 300;
    static final int BLOCK = 32 << 10;

    @TempDir
    Path dir;

    final FaultyFileIO faulty = new FaultyFileIO();
    StoreConfig config;
    SegmentStore store;
    Arena arena;

    @BeforeEach
    void openFaultyStore() throws Exception {
        config = StoreFixture.config(dir).streamNumber(1).timeout(Duration.ofMillis(TIMEOUT_MS)).build();
        store = open();
        arena = Arena.ofShared();
    }

    @AfterEach
    void closeFaultyStore() throws Exception {
        faulty.clear();
        store.close();
        arena.close();
    }

    /** A store over the same directory and faults: the next open, recovery and all. */
    final SegmentStore open() throws Exception {
        return SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
    }

    final void reopen() throws Exception {
        store.close();
        store = open();
    }

    /** Dumps {@code key}'s {@link Payloads} block and waits for the result. */
    final TaskResult dump(BlockKey key) throws InterruptedException {
        return StoreFixture.await(store.dump(List.of(key), Payloads.buffers(arena, List.of(key), BLOCK)));
    }

    /**
     * Dumps {@code first} (which creates the active segment), then {@code hung} with data writes
     * held at the returned gate: that dump times out while its write is still in the file system.
     */
    final FaultyFileIO.Gate hungDump(BlockKey first, BlockKey hung) throws InterruptedException {
        assertTrue(dump(first).allOk(), "the dump before the hang");
        FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);
        assertEquals(Outcome.TIMEOUT, dump(hung).outcome(0));
        gate.awaitEntered();
        return gate;
    }

    /**
     * Lets the write held at {@code gate} finish once its store was closed, and gives the writer
     * time to notice, so that the next open's recovery finds what that writer left.
     */
    final void releaseAfterClose(FaultyFileIO.Gate gate) throws InterruptedException {
        faulty.clear();
        gate.open();
        gate.awaitPassed(1, Duration.ofSeconds(5));
        Thread.sleep(200);
    }
}
