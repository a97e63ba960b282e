package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.io.FaultyFileIO;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the waiting queue is full a task fails fast as BUSY: dropping a dump into a cache is
 * allowed, blocking the inference thread that submits it is not.
 */
class BackpressureTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    @Test
    void tasksBeyondTheQueuesCompleteAtOnceAsBusy() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        var config = StoreFixture.config(dir).streamNumber(1).waitingQueueDepth(1).runningQueueDepth(1)
                .timeout(Duration.ofSeconds(20)).build();
        List<BlockKey> keys = StoreFixture.keys("busy", 10);
        try (SegmentStore store = SegmentStore.open(config, new SimpleMeterRegistry(), faulty::forDirectory);
             Arena arena = Arena.ofShared()) {
            List<MemorySegment> src = Payloads.buffers(arena, keys, BLOCK);
            assertTrue(StoreFixture.await(store.dump(keys.subList(0, 1), src.subList(0, 1))).allOk());
            FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.WRITE);
            try {
                Task running = store.dump(keys.subList(1, 2), src.subList(1, 2));
                gate.awaitEntered(); // it holds the only running slot, its write stuck

                List<Task> accepted = new ArrayList<>(List.of(running));
                int busy = 0;
                for (int i = 2; i < keys.size(); i++) {
                    long t0 = System.nanoTime();
                    Task t = store.dump(keys.subList(i, i + 1), src.subList(i, i + 1));
                    long callMs = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(callMs < 100, "dump() blocked its caller for " + callMs + " ms");
                    if (t.isDone()) {
                        TaskResult r = t.await(Duration.ZERO);
                        assertEquals(Outcome.BUSY, r.outcome(0), r.toString());
                        assertEquals("waiting queue full (1 tasks)", r.details().get(0));
                        assertFalse(r.durable());
                        busy++;
                    } else {
                        accepted.add(t);
                    }
                    Thread.sleep(50); // let the dispatcher take what it can
                }
                // One task runs, at most two wait (one in the queue, one with the dispatcher): the rest are busy.
                assertTrue(accepted.size() <= 3, accepted.size() + " tasks accepted");
                assertEquals(keys.size() - 1 - accepted.size(), busy);
                assertTrue(busy >= 5);

                long t0 = System.nanoTime();
                TaskResult load = StoreFixture.await(store.load(keys.subList(0, 1), Payloads.empty(arena, 1, BLOCK)));
                assertTrue((System.nanoTime() - t0) / 1_000_000 < 100);
                assertEquals(Outcome.BUSY, load.outcome(0), "loads share the queues");
                assertEquals(busy + 1, StoreFixture.counter(store, "spillway.busy"));

                faulty.clear();
                gate.open();
                List<BlockKey> stored = new ArrayList<>(List.of(keys.get(0)));
                for (Task t : accepted) {
                    TaskResult r = StoreFixture.await(t);
                    assertTrue(r.allOk(), "accepted tasks complete once the IO moves: " + r);
                }
                for (int i = 1; i <= accepted.size(); i++) {
                    stored.add(keys.get(i));
                }
                assertEquals(stored.size(), store.lookupPrefix(keys), "exactly the accepted dumps are stored");
            } finally {
                faulty.clear();
                gate.open();
            }
        }
    }
}
