package io.spillway.server;

import static io.spillway.server.ServerFixture.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.IoFactory;
import io.spillway.engine.api.Outcome;
import io.spillway.server.client.DaemonClient;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.ReplyException;
import io.spillway.server.protocol.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every request against a real daemon in this JVM, through the Java client. */
class ServerRequestsTest {

    private static final int BLOCK = 64 << 10;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void dumpsAndLoadsGoThroughSharedMemory() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); DaemonClient c = f.client("ns-a")) {
            ServerFixture.Shm shm = f.shm(16L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            KeyArray keys = ServerFixture.keys(7, 8);
            ServerFixture.RoundTrip trip = ServerFixture.roundTrip(c, shm, region, keys, BLOCK, 100);
            JobReport dumped = trip.dumped();
            assertEquals(8L * BLOCK, dumped.bytes());
            assertEquals(JobReport.KIND_DUMP, dumped.kind());
            JobReport loaded = trip.loaded();
            // Reported once: asking again says unknown.
            assertEquals(JobReport.State.UNKNOWN, c.await(new long[] {loaded.jobId()}, Duration.ZERO, false).getFirst().state());
            // A second dump of the same keys writes nothing.
            JobReport again = done(c, c.dump(keys, ServerFixture.rows(region, 8, BLOCK, 0)));
            assertEquals(8, again.deduplicated());
        }
    }

    @Test
    void lookupsAreBitmapsAndNamespacesNeverCollide() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); DaemonClient a = f.client("ns-a"); DaemonClient b = f.client("ns-b");
             DaemonClient a2 = f.client("ns-a")) {
            ServerFixture.Shm shm = f.shm(4L * BLOCK);
            int region = a.registerRegion(shm.path(), shm.size());
            KeyArray keys = ServerFixture.keys(3, 10);
            byte[] some = new byte[3 * 32];
            System.arraycopy(keys.bytes(), 0, some, 0, 32);
            System.arraycopy(keys.bytes(), 2 * 32, some, 32, 64);
            assertTrue(done(a, a.dump(new KeyArray(some), ServerFixture.rows(region, 3, BLOCK, 0))).allOk());
            BitSet hits = a.lookup(keys);
            BitSet want = new BitSet();
            want.set(0);
            want.set(2);
            want.set(3);
            assertEquals(want, hits);
            assertEquals(1, a.lookupPrefix(keys));
            assertEquals(want, a2.lookup(keys), "the same namespace shares blocks");
            assertEquals(new BitSet(), b.lookup(keys), "another namespace sees none");
            assertEquals(0, b.delete(keys));
            assertEquals(3, a.delete(keys));
            assertEquals(new BitSet(), a2.lookup(keys));
        }
    }

    @Test
    void manualCommitAndRollback() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir, c -> c.autoCommit(false), o -> o, IoFactory.PROBING);
             DaemonClient c = f.client("ns")) {
            ServerFixture.Shm shm = f.shm(4L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            KeyArray keep = ServerFixture.keys(11, 2);
            KeyArray drop = ServerFixture.keys(12, 2);
            assertTrue(done(c, c.dump(keep, ServerFixture.rows(region, 2, BLOCK, 0))).allOk());
            assertTrue(done(c, c.dump(drop, ServerFixture.rows(region, 2, BLOCK, 2L * BLOCK))).allOk());
            assertEquals(0, c.lookupPrefix(keep), "invisible before commit");
            assertEquals(2, c.commit(keep, true));
            assertEquals(2, c.commit(drop, false));
            assertEquals(2, c.lookupPrefix(keep));
            assertEquals(0, c.lookupPrefix(drop));
            JobReport missing = done(c, c.load(drop, ServerFixture.rows(region, 2, BLOCK, 0)));
            assertEquals(Outcome.MISSING, missing.outcome(0));
        }
    }

    @Test
    void badRequestsAreRefusedAndTheConnectionGoesOn() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); DaemonClient c = f.client("ns")) {
            ServerFixture.Shm shm = f.shm(2L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            KeyArray one = ServerFixture.keys(1, 1);
            assertStatus(Status.NO_SUCH_REGION, () -> c.dump(one, ServerFixture.rows(region + 1, 1, BLOCK, 0)));
            assertStatus(Status.BAD_REQUEST, () -> c.dump(one, ServerFixture.rows(region, 1, BLOCK, BLOCK + 1)));
            assertStatus(Status.BAD_REQUEST, () -> c.load(one, ServerFixture.rows(region, 1, 100, 0)));
            assertStatus(Status.BAD_REQUEST, () -> c.registerRegion(shm.path(), shm.size() + 1));
            assertStatus(Status.ACCESS_DENIED, () -> c.registerRegion(f.dir.resolve("sock").resolve("s.sock"), 4096));
            assertStatus(Status.BAD_REQUEST, () -> c.registerRegion(Path.of("/dev/shm/spillway-no-such-file"), 4096));
            assertStatus(Status.NO_SUCH_REGION, () -> c.unregisterRegion(99));
            c.ping();
            c.unregisterRegion(region);
            assertStatus(Status.NO_SUCH_REGION, () -> c.dump(one, ServerFixture.rows(region, 1, BLOCK, 0)));
            String stats = c.stats();
            assertTrue(stats.contains("\"connections\":1") && stats.contains("\"blocks\""), stats);
        }
    }

    @Test
    void waitAnyReturnsWithTheFirstDoneJob() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); DaemonClient c = f.client("ns")) {
            ServerFixture.Shm shm = f.shm(4L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            long a = c.dump(ServerFixture.keys(21, 2), ServerFixture.rows(region, 2, BLOCK, 0));
            long b = c.load(ServerFixture.keys(22, 2), ServerFixture.rows(region, 2, BLOCK, 2L * BLOCK));
            List<JobReport> any = c.await(new long[] {a, b}, WAIT, true);
            assertTrue(any.stream().anyMatch(r -> r.state() == JobReport.State.DONE), any.toString());
            List<JobReport> rest = c.await(new long[] {a, b}, WAIT, false);
            for (int i = 0; i < 2; i++) {
                assertFalse(any.get(i).state() == JobReport.State.DONE && rest.get(i).state() != JobReport.State.UNKNOWN);
            }
            assertEquals(0, f.awaitNothingHeld(Duration.ZERO).jobsUnreported());
        }
    }

    static void assertStatus(Status want, Executable call) {
        ReplyException e = assertThrows(ReplyException.class, call);
        assertEquals(want, e.status(), e.getMessage());
    }


}
