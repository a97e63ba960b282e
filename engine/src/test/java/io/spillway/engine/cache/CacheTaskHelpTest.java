package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A caller waiting for a task runs the copy jobs no copy thread has taken yet, each job exactly once. */
class CacheTaskHelpTest {

    @Test
    void aWaitingCallerRunsTheJobsTheBusyPoolHasNotTaken() throws Exception {
        try (CopyPool pool = new CopyPool("help-test", 1, 8)) {
            CountDownLatch release = new CountDownLatch(1);
            assertTrue(pool.execute(() -> awaitQuietly(release)), "the only copy thread is now busy");
            CacheTask t = new TaskTracker(pool, Duration.ofSeconds(30)).start(Task.Kind.S2D, 3, false, false);
            List<String> ranOn = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 3; i++) {
                int b = i;
                assertTrue(t.submit(b, () -> copy(t, b, ranOn)));
            }
            TaskResult r = t.await(Duration.ofSeconds(5));
            assertNotNull(r, "the caller copied every block itself while the copy thread was stuck");
            assertTrue(r.allOk());
            assertEquals(List.of(Thread.currentThread().getName(), Thread.currentThread().getName(),
                    Thread.currentThread().getName()), ranOn);
            release.countDown();
            Thread.sleep(100); // the copy thread now dequeues the three jobs: each is gone already
            assertEquals(3, ranOn.size(), "no job ran twice");
        }
    }

    @Test
    void aJobTheCopyThreadTookIsNotRunAgainAndAnExpiredTimeoutStopsTheHelp() throws Exception {
        try (CopyPool pool = new CopyPool("help-test", 1, 8)) {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CacheTask t = new TaskTracker(pool, Duration.ofSeconds(30)).start(Task.Kind.S2D, 2, false, false);
            List<String> ranOn = new CopyOnWriteArrayList<>();
            assertTrue(t.submit(0, () -> {
                started.countDown();
                awaitQuietly(release);
                copy(t, 0, ranOn);
            }));
            assertTrue(started.await(5, TimeUnit.SECONDS));
            assertTrue(t.submit(1, () -> copy(t, 1, ranOn)));
            assertNull(t.await(Duration.ZERO), "a zero timeout runs nothing and returns at once");
            assertTrue(ranOn.isEmpty());
            assertNull(t.await(Duration.ofMillis(50)), "block 0 is the copy thread's, still running");
            assertEquals(List.of(Thread.currentThread().getName()), ranOn, "the caller copied block 1 only");
            release.countDown();
            TaskResult r = t.await(Duration.ofSeconds(5));
            assertNotNull(r);
            assertEquals(Outcome.OK, r.outcome(0));
            assertEquals(2, ranOn.size());
            assertFalse(ranOn.getLast().equals(Thread.currentThread().getName()), "block 0 was copied by the copy thread");
        }
    }

    @Test
    void aJobTheFullBacklogRefusedIsNeverRun() throws Exception {
        try (CopyPool pool = new CopyPool("help-test", 1, 1)) {
            assertTrue(pool.reserve(), "the backlog's one place is taken");
            CacheTask t = new TaskTracker(pool, Duration.ofSeconds(30)).start(Task.Kind.S2D, 1, false, false);
            List<String> ranOn = new CopyOnWriteArrayList<>();
            assertFalse(t.submit(0, () -> copy(t, 0, ranOn)));
            t.tryFinish(0, Outcome.BUSY, "the queue is full", 0, false);
            assertEquals(Outcome.BUSY, t.await(Duration.ofSeconds(1)).outcome(0));
            assertTrue(ranOn.isEmpty(), "the refused job is dropped, not run by the waiting caller");
            pool.taken();
        }
    }

    /**
     * The bound counts jobs nobody took, not queue entries: jobs the waiting callers ran leave
     * empty entries behind a stuck copy thread, and those never make a later block BUSY.
     */
    @Test
    void jobsTheCallerRanGiveTheirPlaceBack() throws Exception {
        try (CopyPool pool = new CopyPool("help-test", 1, 2)) {
            CountDownLatch release = new CountDownLatch(1);
            assertTrue(pool.reserve());
            assertTrue(pool.execute(() -> {
                pool.taken();
                awaitQuietly(release);
            }));
            TaskTracker tracker = new TaskTracker(pool, Duration.ofSeconds(30));
            List<String> ranOn = new CopyOnWriteArrayList<>();
            for (int n = 0; n < 100; n++) {
                CacheTask t = tracker.start(Task.Kind.S2D, 2, false, false);
                assertTrue(t.submit(0, () -> copy(t, 0, ranOn)), "task " + n + ": block 0 has a place");
                assertTrue(t.submit(1, () -> copy(t, 1, ranOn)), "task " + n + ": block 1 has a place");
                assertTrue(t.await(Duration.ofSeconds(5)).allOk());
            }
            assertEquals(200, ranOn.size());
            release.countDown();
        }
    }

    private static void copy(CacheTask t, int i, List<String> ranOn) {
        if (t.claim(i)) {
            ranOn.add(Thread.currentThread().getName());
            t.finishClaimed(i, Outcome.OK, null, 1, false);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
