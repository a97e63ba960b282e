package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.segments.SegmentPath;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import io.spillway.testkit.io.FaultyFileIO;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every task ends by its deadline, whatever the IO under it does (design invariant 5), and a
 * block that timed out or failed is never served: a timed-out dump never becomes visible, a
 * timed-out load never writes into its destination, even when the hung IO completes later.
 */
class DeadlineTest extends FaultyStoreCase {

    private static final byte PATTERN = (byte) 0x3c;

    private final List<BlockKey> keys = StoreFixture.keys("deadline", 6);

    @Test
    void hungWriteTimesOutAndTheBlockNeverBecomesVisible() throws Exception {
        assertTrue(dump(keys.get(0)).allOk(), "warm-up dump creates the active segment");
        FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);

        long t0 = System.nanoTime();
        Task task = store.dump(List.of(keys.get(1)), Payloads.buffers(arena, List.of(keys.get(1)), BLOCK));
        assertTrue(System.nanoTime() - t0 < 100_000_000L, "dump() does not block its caller");
        TaskResult r = StoreFixture.await(task);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Outcome.TIMEOUT, r.outcome(0), r.toString());
        assertEquals("deadline of 300 ms passed", r.details().get(0));
        assertTrue(waitedMs >= 290 && waitedMs < 1000, "completed after " + waitedMs + " ms");
        assertEquals(1, StoreFixture.counter(store, "spillway.timeouts"));
        gate.awaitEntered();
        assertFalse(store.lookup(List.of(keys.get(1))).get(0));

        // The hung write completes; the writer must still discard the timed-out block.
        faulty.clear();
        gate.open();
        gate.awaitPassed(1, Duration.ofSeconds(5));
        assertTrue(dump(keys.get(2)).allOk(), "the writer recovered");
        assertEquals("{1}", store.lookup(keys.subList(1, 3)).toString(), "only the block that finished in time is visible");
        assertEquals(Outcome.MISSING, load(keys.get(1), Payloads.empty(arena, 1, BLOCK).getFirst()).outcome(0));

        // The timed-out key was released: dumping it again writes it.
        TaskResult again = dump(keys.get(1));
        assertTrue(again.allOk());
        assertEquals(0, again.deduplicated());
        MemorySegment dst = arena.allocate(BLOCK);
        assertEquals(Outcome.OK, load(keys.get(1), dst).outcome(0));
        assertTrue(Payloads.matches(dst, keys.get(1)));
    }

    @Test
    void hungReadTimesOutAndNeverWritesTheDestination() throws Exception {
        assertTrue(dump(keys.get(0)).allOk());
        FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.READ);
        MemorySegment dst = Payloads.patterned(arena, BLOCK, PATTERN);

        long t0 = System.nanoTime();
        TaskResult r = load(keys.get(0), dst);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Outcome.TIMEOUT, r.outcome(0), r.toString());
        assertTrue(waitedMs < 1000, "completed after " + waitedMs + " ms");
        gate.awaitEntered();

        faulty.clear();
        gate.open();
        gate.awaitPassed(1, Duration.ofSeconds(5));
        Thread.sleep(100); // let the reader verify and try to deliver
        assertTrue(Payloads.untouched(dst, PATTERN), "a timed-out load never writes its destination");

        assertEquals(Outcome.OK, load(keys.get(0), dst).outcome(0), "the store still serves the block");
        assertTrue(Payloads.matches(dst, keys.get(0)));
    }

    @Test
    void redumpWhileTheTimedOutWriteIsStillHungIsNotDeduplicatedAgainstIt() throws Exception {
        FaultyFileIO.Gate gate = hungDump(keys.get(0), keys.get(1));

        // The first dump's claim died with its deadline: the second must not report OK for a
        // block that will never be stored. With the only writer hung, it times out as well.
        TaskResult again = dump(keys.get(1));
        assertEquals(0, again.deduplicated(), again.toString());
        assertEquals(Outcome.TIMEOUT, again.outcome(0));

        faulty.clear();
        gate.open();
        assertTrue(dump(keys.get(2)).allOk(), "the writer recovered");
        assertEquals("{1}", store.lookup(keys.subList(1, 3)).toString());
        TaskResult third = dump(keys.get(1));
        assertTrue(third.allOk());
        assertEquals(0, third.deduplicated());
        assertTrue(store.lookup(List.of(keys.get(1))).get(0));
    }

    @Test
    void closeReturnsWhileAWriteIsHungAndTheLateWriteIsHarmless() throws Exception {
        FaultyFileIO.Gate gate = hungDump(keys.get(0), keys.get(1));
        long t0 = System.nanoTime();
        store.close();
        long closeMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(closeMs < 5000, "close took " + closeMs + " ms");

        // The writer wakes up after the store is gone: it must not touch the closed index (that
        // crashed the JVM) and leaves its segment to the next open's recovery.
        releaseAfterClose(gate);
        store = open();
        assertEquals(List.of(), SegmentFiles.list(config.storageBackends().getFirst(), SegmentPath.State.OPEN));
        assertLoads(keys.subList(0, 1));
        assertTrue(dump(keys.get(2)).allOk());
        assertLoads(keys.subList(2, 3));
    }

    @Test
    void failedWriteIsAnIoErrorAndLaterDumpsGoToANewSegment() throws Exception {
        dumpFailingOnce(FaultyFileIO.Op.WRITE);
        assertEquals(1, StoreFixture.counter(store, "spillway.io.errors"));
        assertFalse(store.lookup(List.of(keys.get(1))).get(0));

        assertTrue(dump(keys.get(2)).allOk());
        assertEquals(2, store.stats().segments(), "the failed segment takes no more writes");
        TaskResult again = dump(keys.get(1));
        assertTrue(again.allOk(), "the failed key can be dumped again");
        assertEquals(0, again.deduplicated(), "and is written, not deduplicated against the failed write");
        assertLoads(keys.subList(0, 3));

        reopen();
        assertEquals(List.of(), SegmentFiles.list(config.storageBackends().getFirst(), SegmentPath.State.OPEN),
                "recovery sealed the failed segment");
        assertLoads(keys.subList(0, 3));
    }

    @Test
    void failedSyncIsAnIoErrorAndTheStoreGoesOn() throws Exception {
        dumpFailingOnce(FaultyFileIO.Op.SYNC);
        assertFalse(store.lookup(List.of(keys.get(1))).get(0));
        assertTrue(dump(keys.get(2)).allOk());
        assertLoads(List.of(keys.get(0), keys.get(2)));
    }

    /** Dumps key 0, then key 1 with one {@code op} failing: key 1 must end in an IO error that names the fault. */
    private void dumpFailingOnce(FaultyFileIO.Op op) throws Exception {
        assertTrue(dump(keys.get(0)).allOk());
        faulty.fail(op, 1);
        TaskResult failed = dump(keys.get(1));
        assertEquals(Outcome.IO_ERROR, failed.outcome(0));
        assertTrue(failed.details().get(0).contains("injected " + op + " failure"), failed.details().get(0));
    }

    private TaskResult load(BlockKey key, MemorySegment dst) throws InterruptedException {
        return StoreFixture.await(store.load(List.of(key), List.of(dst)));
    }

    private void assertLoads(List<BlockKey> ks) throws Exception {
        List<MemorySegment> dst = Payloads.empty(arena, ks.size(), BLOCK);
        TaskResult r = StoreFixture.await(store.load(ks, dst));
        assertTrue(r.allOk(), r.toString());
        for (int i = 0; i < ks.size(); i++) {
            assertTrue(Payloads.matches(dst.get(i), ks.get(i)), "block " + i);
        }
    }
}
