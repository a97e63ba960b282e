package io.spillway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.testkit.Payloads;
import io.spillway.testkit.io.FaultyFileIO;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.StoreFixture;
import io.spillway.segments.io.StoreLockedException;
import io.spillway.server.client.DaemonClient;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.Protocol;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.RequestEncoder;
import io.spillway.server.protocol.Status;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile, dying or stuck peer, a hung disk and a shutdown do to the daemon: nothing it cannot bound. */
class ServerFailureTest {

    private static final int BLOCK = 64 << 10;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static SocketChannel raw(ServerFixture f) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(f.server.socketPath()));
    }

    /** Reads until the daemon closes the connection (bounded by the read timeout of a blocking channel closing); the bytes read. */
    private static int drainUntilClosed(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        int total = 0;
        while (true) {
            buf.clear();
            int n;
            try {
                n = ch.read(buf);
            } catch (IOException e) {
                return total; // reset by the daemon
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }

    @Test
    void garbageClosesOnlyItsOwnConnection() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); DaemonClient bystander = f.client("ns")) {
            SplittableRandom rnd = new SplittableRandom(2026);
            ByteBuffer valid = RequestEncoder.encode(new Request.Hello("ns", "x"), 1, new FrameWriter(64)).finish();
            for (int i = 0; i < 200; i++) {
                byte[] junk;
                if (i % 2 == 0) {
                    junk = new byte[1 + rnd.nextInt(200)];
                    rnd.nextBytes(junk);
                } else { // a valid header with a corrupted body or field: gets past the magic check
                    junk = new byte[valid.remaining()];
                    valid.duplicate().get(junk);
                    junk[rnd.nextInt(junk.length)] ^= (byte) (1 + rnd.nextInt(255));
                    if (i % 4 == 1) {
                        junk[rnd.nextInt(4) + 16] = (byte) rnd.nextInt(256); // the body length
                    }
                }
                try (SocketChannel ch = raw(f)) {
                    ch.write(ByteBuffer.wrap(junk));
                    ch.shutdownOutput();
                    drainUntilClosed(ch);
                }
                if (i % 50 == 0) {
                    bystander.ping();
                }
            }
            bystander.ping();
            assertTrue(f.awaitNothingHeld(WAIT).connections() <= 1);
            assertTrue(((long) f.store.metrics().get("spillway.server.protocol.errors").counter().count()) >= 100);
        }
    }

    @Test
    void aProtocolErrorGetsAClosingNotice() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir); SocketChannel ch = raw(f)) {
            ch.write(ByteBuffer.wrap(new byte[Protocol.HEADER_BYTES])); // magic 0
            ByteBuffer reply = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (ch.read(reply) >= 0) {
                // until the daemon closes
            }
            reply.flip();
            assertEquals(Protocol.CLOSING_TYPE, Short.toUnsignedInt(reply.getShort(6)));
            assertEquals(Status.PROTOCOL_ERROR.code(), reply.getInt(Protocol.HEADER_BYTES));
            String message = new String(reply.array(), Protocol.HEADER_BYTES + 6, reply.limit() - Protocol.HEADER_BYTES - 6);
            assertTrue(message.contains("bad magic"), message);
        }
    }

    @Test
    void sixtyFourClientsAtOnce() throws Exception {
        int clients = 64;
        try (ServerFixture f = ServerFixture.start(dir, c -> c.timeout(Duration.ofSeconds(120)), o -> o,
                io.spillway.engine.IoFactory.PROBING)) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<String>> results = new java.util.ArrayList<>();
                for (int t = 0; t < clients; t++) {
                    int seed = t;
                    results.add(pool.submit(() -> {
                        try (DaemonClient c = f.client("ns-" + (seed % 4))) {
                            ServerFixture.Shm shm = f.shm(8L * 4096);
                            int region = c.registerRegion(shm.path(), shm.size());
                            KeyArray keys = ServerFixture.keys(1000 + seed, 4);
                            shm.fillRows(4, 4096, seed * 10L);
                            JobReport d = c.await(new long[] {c.dump(keys, ServerFixture.rows(region, 4, 4096, 0))}, WAIT, false).getFirst();
                            JobReport l = c.await(new long[] {c.load(keys, ServerFixture.rows(region, 4, 4096, 4 * 4096L))}, WAIT, false)
                                    .getFirst();
                            for (int i = 0; i < 4; i++) {
                                if (!ServerFixture.holds(shm.memory().asSlice((4 + i) * 4096L, 4096), seed * 10L + i)) {
                                    return "client " + seed + " block " + i + " came back wrong";
                                }
                            }
                            return d.allOk() && l.allOk() && c.lookupPrefix(keys) == 4 ? "" : "client " + seed + ": " + d + " " + l;
                        }
                    }));
                }
                for (Future<String> r : results) {
                    assertEquals("", r.get(5, TimeUnit.MINUTES));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(SpillwayServer.Holdings.NONE, f.awaitNothingHeld(WAIT));
        }
    }

    /**
     * 1,000 clients that register a region, submit a load and a dump, and vanish without a word
     * (what a kill -9 looks like from the daemon: the kernel closes the socket). Afterwards the
     * daemon holds no connection, region or job, has no mapping of any of their files, and no more
     * sockets, file descriptors of /dev/shm or threads than before.
     */
    @Test
    void vanishingClientsLeaveNothingBehind() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir)) {
            Path seed = f.shmFile(4L * 4096);
            KeyArray present = ServerFixture.keys(5, 4);
            try (DaemonClient c = f.client("ns")) {
                int r = c.registerRegion(seed, 4L * 4096);
                assertTrue(c.await(new long[] {c.dump(present, ServerFixture.rows(r, 4, 4096, 0))}, WAIT, false).getFirst().allOk());
            }
            churn(f, 0, 50, present); // warm up: connection threads, JIT, the store's pools
            assertEquals(SpillwayServer.Holdings.NONE, f.awaitNothingHeld(WAIT));
            ProcessState before = ProcessState.now();
            churn(f, 50, 1000, present);
            SpillwayServer.Holdings left = f.awaitNothingHeld(WAIT);
            assertEquals(SpillwayServer.Holdings.NONE, left);
            // The kernel's io_uring workers (iou-wrk-*: they run the load reads that could not be issued
            // without blocking) are threads of this process too, started on demand and retired after
            // 5 s idle (io-wq's IO_WORKER_IDLE_TIMEOUT). Give them that time; the bound is the same.
            int allowedThreads = before.threads() + Runtime.getRuntime().availableProcessors() + 2;
            ProcessState after = ProcessState.now();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (after.threads() > allowedThreads && System.nanoTime() < deadline) {
                Thread.sleep(200);
                after = ProcessState.now();
            }
            assertEquals(0, after.shmMappings(), "no region of a vanished client is still mapped");
            assertEquals(before.sockets(), after.sockets(), "sockets");
            assertEquals(before.shmDescriptors(), after.shmDescriptors(), "descriptors of /dev/shm files");
            // Carrier threads of virtual threads come and go with load (at most one per core, plus
            // compensation while one blocks); allow those, and nothing that grows with clients.
            assertTrue(after.threads() <= allowedThreads,
                    "threads: " + before.threads() + " before, " + after.threads() + " after 1000 clients");
        }
    }

    private static void churn(ServerFixture f, int from, int to, KeyArray present) throws Exception {
        for (int i = from; i < to; i++) {
            Path shm = f.shmFile(8L * 4096);
            DaemonClient c = f.client("ns");
            int region = c.registerRegion(shm, 8L * 4096);
            c.load(present, ServerFixture.rows(region, 4, 4096, 0));
            c.dump(ServerFixture.keys(10_000 + i, 1), ServerFixture.rows(region, 1, 4096, 4 * 4096L));
            c.close();
            java.nio.file.Files.delete(shm); // the file goes too; only the daemon's mapping could keep its pages
        }
    }

    /** Mappings, descriptors and threads of this process, from /proc/self. */
    record ProcessState(long shmMappings, long sockets, long shmDescriptors, int threads) {
        static ProcessState now() throws IOException {
            long maps;
            try (var lines = java.nio.file.Files.lines(Path.of("/proc/self/maps"))) {
                maps = lines.filter(l -> l.contains("/dev/shm/spillway-test-")).count();
            }
            long sockets = 0;
            long shm = 0;
            try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                        sockets += target.startsWith("socket:") ? 1 : 0;
                        shm += target.startsWith("/dev/shm/") ? 1 : 0;
                    } catch (IOException gone) {
                        // the listing's own descriptor, closed already
                    }
                }
            }
            int threads;
            try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
                threads = (int) tasks.count();
            }
            return new ProcessState(maps, sockets, shm, threads);
        }
    }

    /** A load whose disk read hangs ends TIMEOUT by the store's deadline, and WAITs with shorter timeouts return in time. */
    @Test
    void aHungDiskStillMeetsTheDeadline() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        Duration deadline = Duration.ofMillis(1500);
        try (ServerFixture f = ServerFixture.start(dir, c -> c.timeout(deadline), o -> o, faulty::forDirectory);
             DaemonClient c = f.client("ns")) {
            ServerFixture.Shm shm = f.shm(2L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            KeyArray keys = ServerFixture.keys(9, 1);
            assertTrue(c.await(new long[] {c.dump(keys, ServerFixture.rows(region, 1, BLOCK, 0))}, WAIT, false).getFirst().allOk());
            FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.READ);
            try {
                shm.memory().asSlice(BLOCK, BLOCK).fill((byte) 0x5A);
                long t0 = System.nanoTime();
                long job = c.load(keys, ServerFixture.rows(region, 1, BLOCK, BLOCK));
                gate.awaitEntered();
                JobReport early = c.await(new long[] {job}, Duration.ofMillis(100), false).getFirst();
                assertEquals(JobReport.State.PENDING, early.state());
                JobReport r = c.await(new long[] {job}, WAIT, false).getFirst();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(Outcome.TIMEOUT, r.outcome(0), r.toString());
                assertTrue(ms < deadline.toMillis() + 10_000, "the load took " + ms + " ms against a deadline of " + deadline);
                assertTrue(Payloads.untouched(shm.memory().asSlice(BLOCK, BLOCK), (byte) 0x5A), "a timed-out load wrote its slice");
                c.ping(); // the connection and the daemon go on
                assertEquals(1, c.lookupPrefix(keys));
            } finally {
                gate.open();
            }
        }
    }

    /** Shutdown drains: jobs in flight finish and are collected, new ones are refused, then connections close. */
    @Test
    void shutdownDrainsJobsInFlight() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        ServerFixture f = ServerFixture.start(dir, c -> c.timeout(Duration.ofSeconds(30)), o -> o, faulty::forDirectory);
        try (DaemonClient c = f.client("ns")) {
            ServerFixture.Shm shm = f.shm(4L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            KeyArray keys = ServerFixture.keys(31, 2);
            assertTrue(c.await(new long[] {c.dump(keys, ServerFixture.rows(region, 2, BLOCK, 0))}, WAIT, false).getFirst().allOk());
            FaultyFileIO.Gate gate = faulty.hang(FaultyFileIO.Op.READ);
            long job = c.load(keys, ServerFixture.rows(region, 2, BLOCK, 2L * BLOCK));
            gate.awaitEntered();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
                try {
                    f.server.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!java.nio.file.Files.notExists(f.server.socketPath()) && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            ServerRequestsTest.assertStatus(Status.SHUTTING_DOWN, () -> c.dump(ServerFixture.keys(32, 1),
                    ServerFixture.rows(region, 1, BLOCK, 0)));
            assertTrue(!closing.isDone(), "the daemon waits for the job in flight");
            gate.open();
            JobReport r = c.await(new long[] {job}, WAIT, false).getFirst();
            assertTrue(r.allOk(), r.toString());
            closing.get(60, TimeUnit.SECONDS);
            assertThrows(IOException.class, c::ping, "the daemon closed the connection");
            assertEquals(SpillwayServer.Holdings.NONE, f.server.holdings());
        } finally {
            f.close();
        }
    }

    @Test
    void limitsAndASecondDaemonAreRefusedClearly() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir, c -> c, o -> o.withMaxConnections(2), io.spillway.engine.IoFactory.PROBING);
             DaemonClient a = f.client("ns"); DaemonClient b = f.client("ns")) {
            IOException full = assertThrows(IOException.class, () -> f.client("ns"));
            assertTrue(full.getMessage().contains("at most 2 connections"), full.getMessage());
            a.ping();
            b.ping();
            StoreLockedException locked = assertThrows(StoreLockedException.class,
                    () -> Daemon.openStore(f.store.config(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
            assertTrue(locked.getMessage().contains("cannot serve") && locked.getMessage().contains("one owner"), locked.getMessage());
            IOException sameSocket = assertThrows(IOException.class, () -> SocketFile.bind(f.server.socketPath(), 1));
            assertTrue(sameSocket.getMessage().contains("another daemon is serving"), sameSocket.getMessage());
        }
    }

    /** A peer that sends requests but never reads the replies is cut off after the write timeout. */
    @Test
    void aPeerThatNeverReadsIsCutOff() throws Exception {
        try (ServerFixture f = ServerFixture.start(dir, c -> c, o -> new ServerOptions(o.socket(), -1, o.regionRoot(), 16, 16, 16,
                Duration.ofMillis(500), Duration.ZERO), io.spillway.engine.IoFactory.PROBING); SocketChannel ch = raw(f)) {
            FrameWriter w = new FrameWriter(64);
            ch.write(RequestEncoder.encode(new Request.Hello("ns", "never reads"), 1, w).finish());
            ch.configureBlocking(false);
            ByteBuffer ping = RequestEncoder.encode(new Request.Ping(), 2, new FrameWriter(64)).finish();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean cut = false;
            while (!cut && System.nanoTime() < end) {
                try {
                    if (ch.write(ping.duplicate()) == 0) {
                        Thread.sleep(20);
                    }
                } catch (IOException e) {
                    cut = true; // EPIPE: the daemon closed it
                }
            }
            assertTrue(cut, "the daemon never closed a connection whose replies went unread");
            assertTrue(f.store.metrics().get("spillway.server.write.timeouts").counter().count() >= 1);
        }
    }
}
