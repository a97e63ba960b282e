package io.spillway.engine;

import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.io.FaultyFileIO;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Design invariant 3: "commit(keys, false) and failed dumps never become visible, not even after
 * an index rebuild". A segment is left {@code .open} for recovery when its writer fails (or the
 * process dies). Its valid records include dumps that failed, timed out or were deleted; recovery
 * must keep them invisible, since only the index knows which records were acknowledged.
 */
class UnsealedSegmentVisibilityTest extends FaultyStoreCase {

    private final List<BlockKey> keys = StoreFixture.keys("unsealed", 4);

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
        FaultyFileIO.Gate gate = hungDump(keys.get(0), keys.get(1));
        store.close(); // the writer is stuck: its segment stays .open
        releaseAfterClose(gate);
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
}
