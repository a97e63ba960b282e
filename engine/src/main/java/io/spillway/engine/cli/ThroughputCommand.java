package io.spillway.engine.cli;

import io.spillway.engine.BlockStore;
import io.spillway.engine.Outcome;
import io.spillway.engine.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.BlockKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway throughput}: dump and load GB/s of a fresh store, next to fio's O_DIRECT
 * sequential write and read on the same directory with the same block size and thread count.
 *
 * <p>Each client thread dumps batches of distinct keys and awaits each task, until {@code --bytes}
 * are stored; then the same threads load every block back, in a random order, and check each
 * one. Block content is one random pattern per thread with the block's key in its first 32 bytes,
 * so checking a block costs a memory compare, not a regeneration.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures dump and load GB/s of a fresh store in --dir, and compares them with fio "
                + "(O_DIRECT sequential write and read, same block size and threads) on the same directory.",
                "Needs about --bytes of free space; the store and fio's files are deleted afterwards."})
final class ThroughputCommand implements Callable<Integer> {

    private static final long ALIGNMENT = 4096;
    private static final int KEY_THREAD_BYTE = BlockKey.BYTES - 1;

    @Option(names = "--dir", paramLabel = "D", required = true, description = "Directory (on the disk to measure) for the store and fio's files.")
    Path dir;

    @Option(names = "--block-size", paramLabel = "SIZE", defaultValue = "2MiB", converter = Units.ByteSizeConverter.class,
            description = "Block size (default: ${DEFAULT-VALUE}).")
    ByteSize blockSize;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Client threads (and fio jobs) (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--bytes", paramLabel = "SIZE", defaultValue = "4GiB", converter = Units.ByteSizeConverter.class,
            description = "Total bytes to dump, then load (default: ${DEFAULT-VALUE}).")
    ByteSize bytes;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Blocks per task (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--fio", negatable = true,
            description = "Also run fio and print the store's share of its bandwidth (default: when fio is on the PATH).")
    Boolean fio;

    @Option(names = "--keep", description = "Keep the store directory afterwards.")
    boolean keep;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed of keys, content and load order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ConfigOption config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        long blocksPerThread = bytes.bytes() / blockSize.bytes() / threads;
        long totalBytes = blocksPerThread * threads * blockSize.bytes();
        Files.createDirectories(dir);
        long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable < totalBytes + totalBytes / 10) {
            throw new IOException("not enough space in " + dir + ": the run needs about " + Units.bytes(totalBytes + totalBytes / 10)
                    + ", " + Units.bytes(usable) + " is free (lower --bytes)");
        }
        Path storeDir = dir.resolve("spillway-throughput-" + HexFormat.of().toHexDigits(System.nanoTime()).substring(8));
        Files.createDirectory(storeDir);
        StoreConfig storeConfig = config.load().storageBackend(storeDir).kvBlockSize(blockSize).build();
        out.printf("throughput: %d threads, %s blocks, %d per task, %s; store %s%n", threads, blockSize, batch,
                Units.bytes(totalBytes), storeDir);
        out.flush();
        Run run = new Run(Math.toIntExact(blocksPerThread));
        try (BlockStore store = BlockStore.open(storeConfig)) {
            out.printf("direct IO %s%n", store.stats().directIo() ? "yes" : "no (buffered: loads may be served from the page cache)");
            out.flush();
            run.dumpAll(store);
            out.printf("dump %s (%s in %s), task latency %s%n", Units.gbPerSecond(run.dumpBytes.get(), run.dumpWall),
                    Units.bytes(run.dumpBytes.get()), Units.seconds(run.dumpWall), run.dumpLatency.summary());
            out.flush();
            run.loadAll(store);
            out.printf("load %s (%s in %s), task latency %s%n", Units.gbPerSecond(run.loadBytes.get(), run.loadWall),
                    Units.bytes(run.loadBytes.get()), Units.seconds(run.loadWall), run.loadLatency.summary());
            out.printf("verified %d blocks, %d mismatches, %d blocks not OK%n", run.verified.get(), run.mismatches.get(), run.failed.get());
            out.flush();
        } finally {
            run.close();
            if (!keep) {
                Files2.deleteRecursively(storeDir);
            }
        }
        if (fio == null ? Fio.onPath() : fio) {
            compareWithFio(out, run, blocksPerThread * blockSize.bytes());
        }
        return run.mismatches.get() == 0 && run.failed.get() == 0 ? 0 : SpillwayCli.EXIT_FAILURE;
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        if (threads < 1 || threads > 255) {
            throw new CommandLine.ParameterException(cl, "--threads must be between 1 and 255, got " + threads);
        }
        if (batch < 1 || batch > 4096) {
            throw new CommandLine.ParameterException(cl, "--batch must be between 1 and 4096, got " + batch);
        }
        if (blockSize.bytes() < ALIGNMENT || blockSize.bytes() > ByteSize.ofMiB(256).bytes() || blockSize.bytes() % ALIGNMENT != 0) {
            throw new CommandLine.ParameterException(cl, "--block-size must be a multiple of 4 KiB between 4 KiB and 256 MiB, got " + blockSize);
        }
        if (bytes.bytes() / blockSize.bytes() / threads < 1) {
            throw new CommandLine.ParameterException(cl, "--bytes (" + bytes + ") must hold at least one block per thread");
        }
        if (bytes.bytes() / blockSize.bytes() / threads > Integer.MAX_VALUE) {
            throw new CommandLine.ParameterException(cl, "--bytes / --block-size is too many blocks");
        }
    }

    private void compareWithFio(PrintWriter out, Run run, long bytesPerJob) throws IOException, InterruptedException {
        Path fioDir = dir.resolve("spillway-fio-" + HexFormat.of().toHexDigits(System.nanoTime()).substring(8));
        Files.createDirectory(fioDir);
        long write;
        long read;
        try {
            out.println("fio: " + String.join(" ", Fio.command("write", fioDir, blockSize, threads, bytesPerJob)));
            out.flush();
            write = Fio.run("write", fioDir, blockSize, threads, bytesPerJob);
            read = Fio.run("read", fioDir, blockSize, threads, bytesPerJob);
        } finally {
            Fio.deleteFiles(fioDir);
        }
        double dump = Units.gbps(run.dumpBytes.get(), run.dumpWall);
        double load = Units.gbps(run.loadBytes.get(), run.loadWall);
        out.printf(Locale.ROOT, "dump %.2f GB/s = %.0f%% of fio write %.2f GB/s%n", dump, 100 * dump / (write / 1e9), write / 1e9);
        out.printf(Locale.ROOT, "load %.2f GB/s = %.0f%% of fio read %.2f GB/s%n", load, 100 * load / (read / 1e9), read / 1e9);
        out.flush();
    }

    /** One measurement: per-thread keys, content patterns and buffers, and the totals. */
    private final class Run implements AutoCloseable {
        private final int blocksPerThread;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment[] patterns = new MemorySegment[threads];
        private final List<List<BlockKey>> keys = new ArrayList<>();
        final Latencies dumpLatency = new Latencies();
        final Latencies loadLatency = new Latencies();
        final AtomicLong dumpBytes = new AtomicLong();
        final AtomicLong loadBytes = new AtomicLong();
        final AtomicLong verified = new AtomicLong();
        final AtomicLong mismatches = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        Duration dumpWall = Duration.ZERO;
        Duration loadWall = Duration.ZERO;

        Run(int blocksPerThread) {
            this.blocksPerThread = blocksPerThread;
            for (int t = 0; t < threads; t++) {
                patterns[t] = arena.allocate(blockSize.bytes(), ALIGNMENT);
                SplittableRandom random = new SplittableRandom(seed * 1_000_003L + t);
                for (long off = 0; off < blockSize.bytes(); off += 8) {
                    patterns[t].set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
                }
                List<BlockKey> mine = new ArrayList<>(blocksPerThread);
                byte[] k = new byte[BlockKey.BYTES];
                for (int i = 0; i < blocksPerThread; i++) {
                    random.nextBytes(k);
                    k[KEY_THREAD_BYTE] = (byte) t;
                    mine.add(BlockKey.of(k));
                }
                keys.add(mine);
            }
        }

        void dumpAll(BlockStore store) throws IOException, InterruptedException {
            List<Latencies> perThread = new ArrayList<>();
            try (ProgressBar bar = Progress.bar("dump", (long) blocksPerThread * threads * blockSize.bytes(), " MiB", 1 << 20)) {
                dumpWall = inParallel(t -> {
                    Latencies lat = new Latencies();
                    synchronized (perThread) {
                        perThread.add(lat);
                    }
                    dumpThread(store, t, lat, bar);
                });
            }
            perThread.forEach(dumpLatency::addAll);
        }

        void loadAll(BlockStore store) throws IOException, InterruptedException {
            List<BlockKey> all = new ArrayList<>();
            keys.forEach(all::addAll);
            Collections.shuffle(all, new Random(seed));
            List<Latencies> perThread = new ArrayList<>();
            try (ProgressBar bar = Progress.bar("load", (long) all.size() * blockSize.bytes(), " MiB", 1 << 20)) {
                loadWall = inParallel(t -> {
                    Latencies lat = new Latencies();
                    synchronized (perThread) {
                        perThread.add(lat);
                    }
                    loadThread(store, all.subList(t * blocksPerThread, (t + 1) * blocksPerThread), lat, bar);
                });
            }
            perThread.forEach(loadLatency::addAll);
        }

        private void dumpThread(BlockStore store, int t, Latencies lat, ProgressBar bar) throws InterruptedException {
            List<MemorySegment> slots = new ArrayList<>(batch);
            try (Arena local = Arena.ofShared()) {
                for (int i = 0; i < batch; i++) {
                    MemorySegment s = local.allocate(blockSize.bytes(), ALIGNMENT);
                    s.copyFrom(patterns[t]);
                    slots.add(s);
                }
                List<BlockKey> mine = keys.get(t);
                for (int from = 0; from < mine.size(); from += batch) {
                    List<BlockKey> batchKeys = mine.subList(from, Math.min(from + batch, mine.size()));
                    for (int i = 0; i < batchKeys.size(); i++) {
                        batchKeys.get(i).write(slots.get(i), 0);
                    }
                    TaskResult r = store.dump(batchKeys, slots.subList(0, batchKeys.size())).await();
                    lat.record(r.elapsed());
                    dumpBytes.addAndGet(r.bytes());
                    failed.addAndGet(batchKeys.size() - r.counts().getOrDefault(Outcome.OK, 0));
                    bar.stepBy(r.bytes());
                }
            }
        }

        private void loadThread(BlockStore store, List<BlockKey> mine, Latencies lat, ProgressBar bar) throws InterruptedException {
            List<MemorySegment> slots = new ArrayList<>(batch);
            long size = blockSize.bytes();
            try (Arena local = Arena.ofShared()) {
                for (int i = 0; i < batch; i++) {
                    slots.add(local.allocate(size, ALIGNMENT));
                }
                for (int from = 0; from < mine.size(); from += batch) {
                    List<BlockKey> batchKeys = mine.subList(from, Math.min(from + batch, mine.size()));
                    TaskResult r = store.load(batchKeys, slots.subList(0, batchKeys.size())).await();
                    lat.record(r.elapsed());
                    loadBytes.addAndGet(r.bytes());
                    for (int i = 0; i < batchKeys.size(); i++) {
                        if (r.outcome(i) != Outcome.OK) {
                            failed.incrementAndGet();
                            continue;
                        }
                        verified.incrementAndGet();
                        if (!matches(slots.get(i), batchKeys.get(i))) {
                            mismatches.incrementAndGet();
                        }
                    }
                    bar.stepBy(r.bytes());
                }
            }
        }

        /** The key in the first 32 bytes, then the writing thread's pattern. */
        private boolean matches(MemorySegment block, BlockKey key) {
            MemorySegment expectedKey = MemorySegment.ofArray(key.toBytes());
            if (block.asSlice(0, BlockKey.BYTES).mismatch(expectedKey) != -1) {
                return false;
            }
            byte[] k = key.toBytes();
            MemorySegment pattern = patterns[k[KEY_THREAD_BYTE] & 0xFF];
            return block.asSlice(BlockKey.BYTES).mismatch(pattern.asSlice(BlockKey.BYTES)) == -1;
        }

        /** Runs {@code body} on {@code threads} threads at once and returns the wall time until the last ends. */
        private Duration inParallel(ThreadBody body) throws IOException, InterruptedException {
            ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                Thread th = new Thread(r, "throughput-client");
                th.setDaemon(true);
                return th;
            });
            try {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<Future<Void>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        body.run(id);
                        return null;
                    }));
                }
                long start = System.nanoTime();
                go.countDown();
                for (Future<Void> f : futures) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof IOException io) {
                            throw io;
                        }
                        if (e.getCause() instanceof RuntimeException re) {
                            throw re;
                        }
                        throw new IOException(e.getCause());
                    }
                }
                return Duration.ofNanos(System.nanoTime() - start);
            } finally {
                pool.shutdownNow();
            }
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    @FunctionalInterface
    private interface ThreadBody {
        void run(int thread) throws IOException, InterruptedException;
    }
}
