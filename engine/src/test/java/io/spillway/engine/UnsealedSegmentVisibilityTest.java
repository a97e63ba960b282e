package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.io.FaultyFileIO;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design invariant 3: "commit(keys, false) and failed dumps never become visible, not even after
 * an index rebuild". A segment is left {@code .open} for recovery when its writer fails (or the
 * process dies). Its valid records include dumps that failed, timed out or were deleted; recovery
 * must keep them invisible, since only the index knows which records were acknowledged.
 */
class UnsealedSegmentVisibilityTest {

    private static final int BLOCK = 32 << 10;

    @TempDir
    Path dir;

    private final FaultyFileIO faulty = new FaultyFileIO();
    private final List<BlockKey> keys = StoreFixture.keys("unsealed", 4);
    private StoreConfig config;
    private SegmentStore store;
    private Arena arena;

    @BeforeEach
    void open() throws Exception {
        config = StoreFixture.config(dir).streamNumber(1).timeout(Duration.ofMillis(300)).build();
        store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() throws Exception {
        faulty.clear();
        store.close();
        arena.close();
    }

    @Test
    void dumpWhoseSyncFailedStaysInvisibleAfterRecovery() throws Exception {
        assertTrue(dump(keys.get(0)).allOk());
        faulty.fail(FaultyFileIO.Op.SYNC, 1);
        assertEquals(Outcome.IO_ERROR, dump(keys.get(1)).outcome(0));
        reopen();
        assertEquals("{0}", store.lookup(keys.subList(0, 2)).toString(), "a failed dump never becomes visible");
    }

    @Test
    void timedOutDumpStaysInvisibleAfterRecovery() throws Exception {
        assertTrue(dump(keys.get(0)).allOk());
        FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);
        assertEquals(Outcome.TIMEOUT, dump(keys.get(1)).outcome(0));
        gate.awaitEntered();
        store.close(); // the writer is stuck: its segment stays .open
        faulty.clear();
        gate.open();
        gate.awaitPassed(1, Duration.ofSeconds(5));
        Thread.sleep(200);
        reopen();
        assertEquals("{0}", store.lookup(keys.subList(0, 2)).toString(), "a timed-out dump never becomes visible");
    }

    @Test
    void deletedBlockStaysDeletedAfterRecovery() throws Exception {
        assertTrue(dump(keys.get(0)).allOk());
        assertEquals(1, store.delete(keys.subList(0, 1)));
        faulty.fail(FaultyFileIO.Op.WRITE, 1);
        assertEquals(Outcome.IO_ERROR, dump(keys.get(1)).outcome(0)); // the segment is left .open
        reopen();
        assertEquals("{}", store.lookup(keys.subList(0, 2)).toString(), "a deleted block stays deleted");
    }

    private void reopen() throws Exception {
        store.close();
        store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
    }

    private TaskResult dump(BlockKey key) throws InterruptedException {
        return StoreFixture.await(store.dump(List.of(key), Payloads.buffers(arena, List.of(key), BLOCK)));
    }
}
