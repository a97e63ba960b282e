package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The deadline sweep: a block nobody claimed times out about its deadline; a claimed one is left to its copy. */
class TaskTrackerTest {

    @Test
    void pendingBlocksTimeOutAtTheDeadlineAndClaimedOnesAreNotTaken() throws Exception {
        try (CopyPool pool = new CopyPool("tracker-test", 1, 4)) {
            TaskTracker tracker = new TaskTracker(pool, Duration.ofMillis(100));
            CacheTask t = tracker.start(Task.Kind.S2D, 2, false, false);
            assertTrue(t.claim(1), "a copy thread holds block 1");
            long t0 = System.nanoTime();
            Thread.sleep(300);
            assertTrue(t.isClaimed(1), "the sweep never takes a claimed block: its copy still owns the buffer");
            t.finishClaimed(1, Outcome.OK, null, 4096, false);
            TaskResult r = t.await(Duration.ofSeconds(5));
            assertNotNull(r, "the task completed");
            assertEquals(Outcome.TIMEOUT, r.outcome(0));
            assertEquals(Outcome.OK, r.outcome(1));
            assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(100).toNanos());
        }
    }

    @Test
    void aClosedStoreFailsNewTasksAtOnce() throws Exception {
        try (CopyPool pool = new CopyPool("tracker-test", 1, 4)) {
            CacheTask t = new TaskTracker(pool, Duration.ofSeconds(30)).start(Task.Kind.D2S, 1, false, true);
            assertTrue(t.isDone());
            assertEquals(Outcome.IO_ERROR, t.await(Duration.ZERO).outcome(0));
        }
    }
}
