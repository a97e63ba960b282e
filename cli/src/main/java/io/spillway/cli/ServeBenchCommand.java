package io.spillway.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.cli.bench.Medians;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileTrees;
import io.spillway.server.ServerOptions;
import io.spillway.server.SpillwayServer;
import io.spillway.server.client.DaemonClient;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.KeyArray;
import io.spillway.server.protocol.SliceArray;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spillway serve-bench}: dump and load GB/s through the daemon against the embedded store,
 * in the same run, on the same directory, with the same threads, batches and memory.
 *
 * <p>Each run and block size does both, the embedded one first in odd runs and the daemon first in
 * even ones: embedded (a fresh store in {@code DIR/store}; each
 * thread dumps its share in tasks of {@code --batch} blocks from a /dev/shm mapping, then loads it
 * back into the same mapping), and through the daemon (a fresh store in the same place, served
 * on a Unix socket by an in-process {@link SpillwayServer}; each thread has its own connection
 * and registers its own /dev/shm file, which the daemon maps; the same tasks as DUMP/LOAD + WAIT).
 * Reported: per-run GB/s and daemon/embedded ratios, then the median of each over the runs.
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Dump and load GB/s through 'spillway serve' (socket + shared memory) against the embedded store, same run, "
                + "same directory.")
final class ServeBenchCommand extends CliCommand {

    @Option(names = "--dir", paramLabel = "D", required = true, description = "Directory (on the disk to measure); emptied of its store between phases.")
    Path dir;

    @Option(names = "--block-sizes", paramLabel = "SIZES", split = ",", defaultValue = "256KiB,2MiB",
            converter = Units.ByteSizeConverter.class, description = "Block sizes (default: ${DEFAULT-VALUE}).")
    List<ByteSize> blockSizes;

    @Option(names = "--bytes", paramLabel = "SIZE", defaultValue = "1GiB", converter = Units.ByteSizeConverter.class,
            description = "Bytes dumped, then loaded, per phase (default: ${DEFAULT-VALUE}).")
    ByteSize bytes;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Blocks per task (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Repetitions; medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    /** GB/s of one phase pair. */
    record Rates(double dump, double load) {
    }

    /** Moves one batch of one thread: true when every block ended OK. */
    private interface Mover {
        boolean dump(int thread, int batchIndex) throws Exception;

        boolean load(int thread, int batchIndex) throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || batch < 1 || runs < 1) {
            throw new IllegalArgumentException("--threads, --batch and --runs must be at least 1");
        }
        DirArguments.createIfMissing("--dir", dir);
        PrintWriter out = out();
        out.printf(Locale.ROOT, "serve-bench: %s per phase, %d threads, %d blocks per task, %d runs, in %s%n", Units.bytes(bytes.bytes()),
                threads, batch, runs, dir);
        for (ByteSize size : blockSizes) {
            List<Rates> embedded = new ArrayList<>();
            List<Rates> daemon = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                // Alternate which goes first, so that a disk that speeds up or slows down over
                // a run (its cache, the host's neighbours) favours neither side.
                boolean daemonFirst = run % 2 == 0;
                Rates first = phase(size, daemonFirst);
                Rates second = phase(size, !daemonFirst);
                Rates e = daemonFirst ? second : first;
                Rates d = daemonFirst ? first : second;
                embedded.add(e);
                daemon.add(d);
                out.printf(Locale.ROOT, "  %s run %d: embedded dump %.2f load %.2f GB/s | daemon dump %.2f load %.2f GB/s | daemon/embedded"
                        + " dump %.2f load %.2f%n", Units.bytes(size.bytes()), run, e.dump(), e.load(), d.dump(), d.load(),
                        d.dump() / e.dump(), d.load() / e.load());
                out.flush();
            }
            out.printf(Locale.ROOT, "%s medians of %d: embedded dump %.2f load %.2f GB/s, daemon dump %.2f load %.2f GB/s; daemon/embedded"
                            + " dump %.2f load %.2f (median of per-run ratios)%n", Units.bytes(size.bytes()), runs,
                    median(embedded, Rates::dump), median(embedded, Rates::load), median(daemon, Rates::dump), median(daemon, Rates::load),
                    ratio(daemon, embedded, Rates::dump), ratio(daemon, embedded, Rates::load));
            out.flush();
        }
        return 0;
    }

    private static double median(List<Rates> r, ToDoubleFunction<Rates> f) {
        return Medians.median(r.stream().map(f::applyAsDouble).toList());
    }

    private static double ratio(List<Rates> a, List<Rates> b, ToDoubleFunction<Rates> f) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ratios.add(f.applyAsDouble(a.get(i)) / f.applyAsDouble(b.get(i)));
        }
        return Medians.median(ratios);
    }

    /** One fresh store, dumped then loaded, embedded or through the daemon. */
    private Rates phase(ByteSize size, boolean throughDaemon) throws Exception {
        int block = Math.toIntExact(size.bytes());
        int perThread = (int) Math.max(1, bytes.bytes() / block / threads / batch);
        Path store = dir.resolve("store");
        FileTrees.deleteRecursively(store);
        StoreConfig config = StoreConfig.builder().storageBackend(store).kvBlockSize(size).build();
        List<Path> files = new ArrayList<>();
        try (Arena arena = Arena.ofShared(); SegmentStore s = SegmentStore.open(config, new SimpleMeterRegistry())) {
            List<MemorySegment> memory = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Path f = Path.of("/dev/shm", "spillway-serve-bench-" + ProcessHandle.current().pid() + "-" + t);
                files.add(f);
                memory.add(shm(f, (long) block * batch, arena, t));
            }
            BlockKey[][][] keys = keys(perThread, block);
            if (!throughDaemon) {
                return measure(perThread, block, new Mover() {
                    public boolean dump(int t, int b) throws Exception {
                        return s.dump(List.of(keys[t][b]), rows(memory.get(t), block)).await().allOk();
                    }

                    public boolean load(int t, int b) throws Exception {
                        TaskResult r = s.load(List.of(keys[t][b]), rows(memory.get(t), block)).await();
                        return r.allOk();
                    }
                });
            }
            ServerOptions options = ServerOptions.defaults(dir.resolve("sock").resolve("s.sock"));
            try (SpillwayServer server = SpillwayServer.start(s, options, new SimpleMeterRegistry())) {
                List<DaemonClient> clients = new ArrayList<>();
                try {
                    int[] regions = new int[threads];
                    for (int t = 0; t < threads; t++) {
                        DaemonClient c = DaemonClient.connect(server.socketPath(), "serve-bench", "thread " + t, Duration.ofSeconds(60));
                        clients.add(c);
                        regions[t] = c.registerRegion(files.get(t), (long) block * batch);
                    }
                    SliceArray[] slices = new SliceArray[threads];
                    for (int t = 0; t < threads; t++) {
                        slices[t] = SliceArray.rows(regions[t], batch, block, 0);
                    }
                    return measure(perThread, block, new Mover() {
                        public boolean dump(int t, int b) throws Exception {
                            DaemonClient c = clients.get(t);
                            return finished(c, c.dump(wire(keys[t][b]), slices[t]));
                        }

                        public boolean load(int t, int b) throws Exception {
                            DaemonClient c = clients.get(t);
                            return finished(c, c.load(wire(keys[t][b]), slices[t]));
                        }
                    });
                } finally {
                    for (DaemonClient c : clients) {
                        c.close();
                    }
                }
            }
        } finally {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            FileTrees.deleteRecursively(store);
        }
    }

    private static boolean finished(DaemonClient c, long job) throws Exception {
        JobReport r = c.await(new long[] {job}, Duration.ofMinutes(5), false).getFirst();
        return r.allOk();
    }

    private Rates measure(int perThread, int block, Mover mover) throws Exception {
        double dump = timed(perThread, block, mover, true);
        double load = timed(perThread, block, mover, false);
        return new Rates(dump, load);
    }

    private double timed(int perThread, int block, Mover mover, boolean dump) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<Boolean>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    boolean ok = true;
                    for (int b = 0; b < perThread; b++) {
                        ok &= dump ? mover.dump(thread, b) : mover.load(thread, b);
                    }
                    return ok;
                }));
            }
            for (Future<Boolean> f : done) {
                if (!f.get()) {
                    throw new IOException((dump ? "a dump" : "a load") + " did not end OK for every block");
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return (double) threads * perThread * batch * block / seconds / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    private BlockKey[][][] keys(int perThread, int block) {
        BlockKey[][][] k = new BlockKey[threads][perThread][batch];
        for (int t = 0; t < threads; t++) {
            for (int b = 0; b < perThread; b++) {
                for (int i = 0; i < batch; i++) {
                    k[t][b][i] = BlockKey.chain(BlockKey.ROOT, new int[] {block, t, b, i}, "serve-bench");
                }
            }
        }
        return k;
    }

    private static KeyArray wire(BlockKey[] keys) {
        byte[] b = new byte[keys.length * 32];
        for (int i = 0; i < keys.length; i++) {
            System.arraycopy(keys[i].toBytes(), 0, b, i * 32, 32);
        }
        return new KeyArray(b);
    }

    private List<MemorySegment> rows(MemorySegment m, int block) {
        List<MemorySegment> out = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            out.add(m.asSlice((long) i * block, block));
        }
        return out;
    }

    /** A /dev/shm file of {@code size} random bytes (incompressible, like KV), mapped shared here. */
    private static MemorySegment shm(Path f, long size, Arena arena, int seed) throws IOException {
        Files.deleteIfExists(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), size - 1);
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            byte[] chunk = new byte[1 << 20];
            new SplittableRandom(seed).nextBytes(chunk);
            for (long at = 0; at < size; at += chunk.length) {
                MemorySegment.copy(MemorySegment.ofArray(chunk), 0, m, at, Math.min(chunk.length, size - at));
            }
            return m;
        }
    }
}
