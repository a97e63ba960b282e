package io.spillway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.IoFactory;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.config.StoreConfig;
import io.spillway.server.client.DaemonClient;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.ReplyException;
import io.spillway.server.protocol.SliceArray;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A store and a daemon serving it, in this JVM, for the server's tests: a socket and store in the
 * test's temporary directory, shared-memory files of the test's own under /dev/shm (removed at
 * close), clients, and deterministic block content.
 */
final class ServerFixture implements AutoCloseable {

    private static final AtomicInteger REGION_NAMES = new AtomicInteger();

    final Path dir;
    final BlockStore store;
    final SpillwayServer server;
    // Tests call shm() from many client threads at once (sixtyFourClientsAtOnce): with plain lists
    // an add was lost now and then, and its /dev/shm file outlived the run.
    private final List<Path> shmFiles = new CopyOnWriteArrayList<>();
    private final List<Arena> arenas = new CopyOnWriteArrayList<>();

    private ServerFixture(Path dir, BlockStore store, SpillwayServer server) {
        this.dir = dir;
        this.store = store;
        this.server = server;
    }

    static ServerFixture start(Path dir) throws IOException {
        return start(dir, c -> c, o -> o, IoFactory.PROBING);
    }

    static ServerFixture start(Path dir, UnaryOperator<StoreConfig.Builder> config, UnaryOperator<ServerOptions> options,
                               IoFactory io) throws IOException {
        StoreConfig cfg = config.apply(StoreFixture.config(dir)).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return serve(dir, SegmentStore.open(cfg, registry, io), options, registry);
    }

    /**
     * The daemon serving the store that {@code config} describes, opened as {@code spillway serve}
     * opens it ({@link Daemon#openStore}): any {@code store_pipeline}.
     */
    static ServerFixture startOpened(Path dir, UnaryOperator<StoreConfig.Builder> config) throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return serve(dir, Daemon.openStore(config.apply(StoreFixture.config(dir)).build(), registry), o -> o, registry);
    }

    private static ServerFixture serve(Path dir, BlockStore store, UnaryOperator<ServerOptions> options,
                                       SimpleMeterRegistry registry) throws IOException {
        try {
            SpillwayServer server = SpillwayServer.start(store, options.apply(ServerOptions.defaults(dir.resolve("sock").resolve("s.sock"))),
                    registry);
            return new ServerFixture(dir, store, server);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    DaemonClient client(String namespace) throws IOException, ReplyException {
        return DaemonClient.connect(server.socketPath(), namespace, "test", Duration.ofSeconds(30));
    }

    /** A new /dev/shm file of {@code size} bytes, also mapped here; removed at close. */
    Shm shm(long size) throws IOException {
        Path p = Path.of("/dev/shm", "spillway-test-" + ProcessHandle.current().pid() + "-" + REGION_NAMES.incrementAndGet());
        Files.deleteIfExists(p);
        shmFiles.add(p);
        Arena arena = Arena.ofShared();
        arenas.add(arena);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1); // tmpfs: make the length real
            return new Shm(p, size, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
        }
    }

    /** A new /dev/shm file of {@code size} bytes that this process does not map (only the daemon will); removed at close. */
    Path shmFile(long size) throws IOException {
        Path p = Path.of("/dev/shm", "spillway-test-" + ProcessHandle.current().pid() + "-" + REGION_NAMES.incrementAndGet());
        Files.deleteIfExists(p);
        shmFiles.add(p);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate((int) size), 0);
        }
        return p;
    }

    /** A /dev/shm file and this process's mapping of it. */
    record Shm(Path path, long size, MemorySegment memory) {

        /** Fills rows 0 to {@code n - 1} of {@code length} bytes, row i as {@link #fill} does for {@code firstSeed + i}. */
        void fillRows(int n, int length, long firstSeed) {
            for (int i = 0; i < n; i++) {
                fill(memory.asSlice((long) i * length, length), firstSeed + i);
            }
        }
    }

    /** {@code n} distinct keys of a chain named by {@code seed}. */
    static KeyArray keys(int seed, int n) {
        byte[] b = new byte[n * 32];
        new SplittableRandom(seed).nextBytes(b);
        return new KeyArray(b);
    }

    /** {@code n} slices of {@code length} bytes each, back to back from {@code offset}. */
    static SliceArray rows(int region, int n, int length, long offset) {
        return SliceArray.rows(region, n, length, offset);
    }

    /** Fills {@code m} with bytes derived from {@code seed}. */
    static void fill(MemorySegment m, long seed) {
        byte[] b = new byte[(int) m.byteSize()];
        new SplittableRandom(seed).nextBytes(b);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, m, 0, b.length);
    }

    /** Whether {@code m} holds exactly what {@link #fill} wrote for {@code seed}. */
    static boolean holds(MemorySegment m, long seed) {
        MemorySegment want = MemorySegment.ofArray(new byte[(int) m.byteSize()]);
        fill(want, seed);
        return m.mismatch(want) == -1;
    }

    /** Waits for {@code job}, at most 30 s, and asserts that it is done; returns its report. */
    static JobReport done(DaemonClient c, long job) throws IOException, ReplyException {
        JobReport r = c.await(new long[] {job}, Duration.ofSeconds(30), false).getFirst();
        assertEquals(JobReport.State.DONE, r.state(), r.toString());
        return r;
    }

    /** What {@link #roundTrip} reports: the dump's and the load's jobs. */
    record RoundTrip(JobReport dumped, JobReport loaded) {
    }

    /**
     * The daemon's basic promise, through shared memory: fills rows 0 to n - 1 of {@code shm} (row
     * i as {@link #fill} does for {@code firstSeed + i}) and dumps them under the n {@code keys};
     * checks that all n are found; loads them into rows n to 2n - 1 and checks that each holds its
     * row's content.
     */
    static RoundTrip roundTrip(DaemonClient c, Shm shm, int region, KeyArray keys, int block, long firstSeed)
            throws IOException, ReplyException {
        int n = keys.count();
        shm.fillRows(n, block, firstSeed);
        JobReport dumped = done(c, c.dump(keys, rows(region, n, block, 0)));
        assertTrue(dumped.allOk(), dumped.toString());
        assertEquals(n, c.lookupPrefix(keys));
        JobReport loaded = done(c, c.load(keys, rows(region, n, block, (long) n * block)));
        assertTrue(loaded.allOk(), loaded.toString());
        for (int i = 0; i < n; i++) {
            assertTrue(holds(shm.memory().asSlice((long) (n + i) * block, block), firstSeed + i), "block " + i);
        }
        return new RoundTrip(dumped, loaded);
    }

    /** Waits until the daemon holds nothing for any client, at most {@code timeout}. */
    SpillwayServer.Holdings awaitNothingHeld(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        SpillwayServer.Holdings h = server.holdings();
        while (!h.equals(SpillwayServer.Holdings.NONE) && System.nanoTime() < end) {
            Thread.sleep(10);
            h = server.holdings();
        }
        return h;
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            store.close();
            arenas.forEach(Arena::close);
            for (Path p : shmFiles) {
                Files.deleteIfExists(p);
            }
        }
    }
}
