package io.spillway.engine;

import io.spillway.engine.api.Task;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manual commit and delete: a block is visible only once committed, a rolled-back or deleted
 * block never is, including after a reopen and including when the decision arrives while the
 * block is still being written.
 */
class CommitTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    @Test
    void manualCommitDecidesVisibilityAndSurvivesReopen() throws Exception {
        StoreConfig config = StoreFixture.config(dir).autoCommit(false).build();
        List<BlockKey> keys = StoreFixture.keys("commit", 9);
        List<BlockKey> committed = keys.subList(0, 3);
        List<BlockKey> aborted = keys.subList(3, 6);
        List<BlockKey> undecided = keys.subList(6, 9);
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            TaskResult r = StoreFixture.await(store.dump(keys, Payloads.buffers(arena, keys, BLOCK)));
            assertTrue(r.allOk(), r.toString());
            assertEquals("{}", store.lookup(keys).toString(), "nothing is visible before commit");
            assertEquals(List.of(Outcome.MISSING, Outcome.MISSING), load(store, arena, keys.subList(0, 2)).outcomes());
            TaskResult again = StoreFixture.await(store.dump(keys.subList(0, 1), Payloads.buffers(arena, keys.subList(0, 1), BLOCK)));
            assertEquals(1, again.deduplicated(), "a key awaiting commit is not written twice");

            assertEquals(3, store.commit(committed, true));
            assertEquals(3, store.commit(aborted, false));
            assertEquals(0, store.commit(aborted, true), "a rolled-back key has nothing left to commit");
            assertEquals("{0, 1, 2}", store.lookup(keys).toString());
            StoreFixture.assertLoadsExactly(store, arena, committed, BLOCK);
            assertEquals(3, load(store, arena, aborted).counts().get(Outcome.MISSING));
        }
        try (SegmentStore store = SegmentStore.open(config); Arena arena = Arena.ofShared()) {
            assertEquals("{0, 1, 2}", store.lookup(keys).toString(), "after reopen only committed blocks are visible");
            StoreFixture.assertLoadsExactly(store, arena, committed, BLOCK);
            assertEquals(3, load(store, arena, undecided).counts().get(Outcome.MISSING));
            assertEquals(0, store.commit(undecided, true), "an undecided dump does not outlive its process");
        }
    }

    @Test
    void commitOrRollbackWhileTheWriteHangsIsAppliedWhenItFinishes() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        StoreConfig config = StoreFixture.config(dir).autoCommit(false).streamNumber(1).build();
        List<BlockKey> keys = StoreFixture.keys("late-commit", 3);
        try (SegmentStore store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
             Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys.subList(0, 1), Payloads.buffers(arena, keys.subList(0, 1), BLOCK))).allOk());
            FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);
            // One task, so both blocks are claimed and in the stuck group once the gate is reached.
            Task task = store.dump(keys.subList(1, 3), Payloads.buffers(arena, keys.subList(1, 3), BLOCK));
            gate.awaitEntered();
            assertEquals(1, store.commit(keys.subList(1, 2), true));
            assertEquals(1, store.commit(keys.subList(2, 3), false));
            faulty.clear();
            gate.open();
            TaskResult r = StoreFixture.await(task);
            assertEquals(List.of(Outcome.OK, Outcome.ABORTED), r.outcomes(), r.toString());
            assertEquals("rolled back by commit(keys, false)", r.details().get(1));
            assertEquals("{1}", store.lookup(keys).toString());
        }
    }

    @Test
    void deleteRemovesVisibleBlocksAndKeepsAnInFlightOneInvisible() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        StoreConfig config = StoreFixture.config(dir).streamNumber(1).timeout(Duration.ofSeconds(20)).build();
        List<BlockKey> keys = StoreFixture.keys("delete", 5);
        try (SegmentStore store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
             Arena arena = Arena.ofShared()) {
            assertTrue(StoreFixture.await(store.dump(keys.subList(0, 3), Payloads.buffers(arena, keys.subList(0, 3), BLOCK))).allOk());
            assertEquals(2, store.delete(List.of(keys.get(0), keys.get(2), keys.get(4))), "only stored keys count");
            assertEquals("{1}", store.lookup(keys).toString());
            assertEquals(List.of(Outcome.MISSING, Outcome.OK, Outcome.MISSING), load(store, arena, keys.subList(0, 3)).outcomes());

            FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);
            Task inFlight = store.dump(keys.subList(3, 4), Payloads.buffers(arena, keys.subList(3, 4), BLOCK));
            gate.awaitEntered();
            assertEquals(1, store.delete(keys.subList(3, 4)), "an in-flight key counts as present");
            faulty.clear();
            gate.open();
            TaskResult r = StoreFixture.await(inFlight);
            assertEquals(Outcome.OK, r.outcome(0), r.toString());
            assertEquals("{1}", store.lookup(keys).toString(), "the dump deleted in flight stays invisible");
            assertEquals(Outcome.MISSING, load(store, arena, keys.subList(3, 4)).outcome(0));

            // A deleted key can be stored again.
            assertTrue(StoreFixture.await(store.dump(keys.subList(0, 1), Payloads.buffers(arena, keys.subList(0, 1), BLOCK))).allOk());
            StoreFixture.assertLoadsExactly(store, arena, keys.subList(0, 2), BLOCK);
        }
        try (SegmentStore store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory)) {
            assertEquals("{0, 1}", store.lookup(keys).toString(), "deletes survive a reopen");
        }
    }

    private static TaskResult load(SegmentStore store, Arena arena, List<BlockKey> keys) throws InterruptedException {
        return StoreFixture.await(store.load(keys, Payloads.empty(arena, keys.size(), BLOCK)));
    }

}
