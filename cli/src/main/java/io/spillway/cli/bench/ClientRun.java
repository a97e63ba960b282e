package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The client side of a throughput measurement, the same for every {@link BenchTarget}: N threads,
 * each with its own keys, aligned native buffers and content pattern.
 *
 * <ul>
 *   <li>{@link #dumpAll}: each thread dumps its distinct keys in batches (sequential appends for
 *       Spillway), awaiting each batch.</li>
 *   <li>{@link #loadAll}: every dumped block is read back once, in a random order shared by all
 *       threads, and verified.</li>
 *   <li>{@link #mixed}: for a fixed time, each thread picks a load (probability
 *       {@code loadShare}) of a batch of keys drawn by Zipf popularity from the dumped set, or a
 *       dump of a batch of new keys (new prefixes being computed).</li>
 * </ul>
 *
 * <p>Block content: one random pattern per thread, with the block's key in its first 32 bytes and
 * the writing thread in the key's last byte, so checking a loaded block is a memory compare.
 */
public final class ClientRun implements AutoCloseable {

    public static final long ALIGNMENT = 4096;
    /** A batch's buffers are capped at this many bytes per thread, so 32 MiB blocks do not take GiBs of memory. */
    static final long MAX_BATCH_BYTES = 64L << 20;
    private static final int KEY_THREAD_BYTE = BlockKey.BYTES - 1;

    private final int threads;
    private final long blockSize;
    private final int batch;
    private final long seed;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] patterns;
    private final List<List<BlockKey>> keys = new ArrayList<>();
    /** Per thread, allocated (and zeroed) up front so no phase times buffer allocation. */
    private final Buffers[] dumpSlots;
    private final Buffers[] loadSlots;

    /**
     * @param blocksPerThread distinct keys each thread dumps in {@link #dumpAll}
     */
    public ClientRun(int threads, long blockSize, int blocksPerThread, int batch, long seed) {
        if (threads < 1 || threads > 255) {
            throw new IllegalArgumentException("threads must be between 1 and 255, got " + threads);
        }
        this.threads = threads;
        this.blockSize = blockSize;
        this.batch = batch;
        this.seed = seed;
        this.patterns = new MemorySegment[threads];
        for (int t = 0; t < threads; t++) {
            patterns[t] = arena.allocate(blockSize, ALIGNMENT);
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + t);
            for (long off = 0; off < blockSize; off += 8) {
                patterns[t].set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
            }
            List<BlockKey> mine = new ArrayList<>(blocksPerThread);
            for (int i = 0; i < blocksPerThread; i++) {
                mine.add(newKey(random, t));
            }
            keys.add(mine);
        }
        dumpSlots = new Buffers[threads];
        loadSlots = new Buffers[threads];
        for (int t = 0; t < threads; t++) {
            dumpSlots[t] = new Buffers(t);
            loadSlots[t] = new Buffers(-1);
        }
    }

    /** The batch actually used for {@code blockSize}: {@code batch}, capped at {@link #MAX_BATCH_BYTES} of buffers. */
    public static int effectiveBatch(int batch, long blockSize) {
        return (int) Math.max(1, Math.min(batch, MAX_BATCH_BYTES / blockSize));
    }

    private static BlockKey newKey(SplittableRandom random, int thread) {
        byte[] k = new byte[BlockKey.BYTES];
        random.nextBytes(k);
        k[KEY_THREAD_BYTE] = (byte) thread;
        return BlockKey.of(k);
    }

    public long totalBytes() {
        return (long) keys.getFirst().size() * threads * blockSize;
    }

    /** Dumps every thread's keys; {@code progress} receives bytes as they complete. */
    public PhaseResult dumpAll(BenchTarget target, LongConsumer progress) throws IOException, InterruptedException {
        Counters c = new Counters("dump");
        Duration wall = inParallel(t -> {
            Latencies lat = c.latencies();
            List<BlockKey> mine = keys.get(t);
            for (int from = 0; from < mine.size(); from += batch) {
                dumpBatch(target, t, mine.subList(from, Math.min(from + batch, mine.size())), dumpSlots[t], lat, c, progress);
            }
        });
        return c.result(wall);
    }

    /** Loads every block dumped by {@link #dumpAll} once, in a random order, and verifies it. */
    public PhaseResult loadAll(BenchTarget target, LongConsumer progress) throws IOException, InterruptedException {
        List<BlockKey> all = new ArrayList<>();
        keys.forEach(all::addAll);
        Collections.shuffle(all, new Random(seed));
        int perThread = all.size() / threads;
        Counters c = new Counters("load");
        Duration wall = inParallel(t -> {
            Latencies lat = c.latencies();
            List<BlockKey> mine = all.subList(t * perThread, t == threads - 1 ? all.size() : (t + 1) * perThread);
            for (int from = 0; from < mine.size(); from += batch) {
                loadBatch(target, t, mine.subList(from, Math.min(from + batch, mine.size())), loadSlots[t], lat, c, progress);
            }
        });
        return c.result(wall);
    }

    /**
     * For {@code duration}, each thread loads ({@code loadShare} of its batches) Zipf-popular
     * dumped keys, or dumps new keys. Ranks are assigned to keys in a shuffled order, so
     * popularity does not follow write order.
     */
    public PhaseResult mixed(BenchTarget target, Duration duration, double loadShare, double zipfExponent, LongConsumer progress)
            throws IOException, InterruptedException {
        List<BlockKey> all = new ArrayList<>();
        keys.forEach(all::addAll);
        Collections.shuffle(all, new Random(seed + 1));
        Zipf zipf = new Zipf(all.size(), zipfExponent);
        int distinct = Math.min(batch, all.size());
        Counters c = new Counters("mixed");
        long deadline = System.nanoTime() + duration.toNanos();
        Duration wall = inParallel(t -> {
            Latencies lat = c.latencies();
            SplittableRandom random = new SplittableRandom(seed * 31 + 17 * t + 5);
            while (System.nanoTime() < deadline) {
                if (random.nextDouble() < loadShare) {
                    Set<BlockKey> picked = new HashSet<>();
                    List<BlockKey> batchKeys = new ArrayList<>(distinct);
                    while (batchKeys.size() < distinct) {
                        BlockKey k = all.get(zipf.next(random));
                        if (picked.add(k)) {
                            batchKeys.add(k);
                        }
                    }
                    loadBatch(target, t, batchKeys, loadSlots[t], lat, c, progress);
                } else {
                    List<BlockKey> fresh = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                        fresh.add(newKey(random, t));
                    }
                    dumpBatch(target, t, fresh, dumpSlots[t], lat, c, progress);
                }
            }
        });
        return c.result(wall);
    }

    private void dumpBatch(BenchTarget target, int t, List<BlockKey> batchKeys, Buffers slots, Latencies lat, Counters c,
                           LongConsumer progress) throws IOException, InterruptedException {
        for (int i = 0; i < batchKeys.size(); i++) {
            batchKeys.get(i).write(slots.get(i), 0);
        }
        long t0 = System.nanoTime();
        int ok = target.dump(t, batchKeys, slots.first(batchKeys.size()));
        lat.record(Duration.ofNanos(System.nanoTime() - t0));
        long bytes = ok * blockSize;
        c.add(bytes, ok, batchKeys.size() - ok, 0);
        progress.accept(bytes);
    }

    private void loadBatch(BenchTarget target, int t, List<BlockKey> batchKeys, Buffers slots, Latencies lat, Counters c,
                           LongConsumer progress) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        boolean[] ok = target.load(t, batchKeys, slots.first(batchKeys.size()));
        lat.record(Duration.ofNanos(System.nanoTime() - t0));
        long good = 0;
        long bad = 0;
        long mismatched = 0;
        for (int i = 0; i < batchKeys.size(); i++) {
            if (!ok[i]) {
                bad++;
            } else {
                good++;
                if (!matches(slots.get(i), batchKeys.get(i))) {
                    mismatched++;
                }
            }
        }
        c.add(good * blockSize, good, bad, mismatched);
        progress.accept(good * blockSize);
    }

    /** The key in the first 32 bytes, then the writing thread's pattern. */
    boolean matches(MemorySegment block, BlockKey key) {
        byte[] k = key.toBytes();
        if (block.asSlice(0, BlockKey.BYTES).mismatch(MemorySegment.ofArray(k)) != -1) {
            return false;
        }
        MemorySegment pattern = patterns[k[KEY_THREAD_BYTE] & 0xFF];
        return block.asSlice(BlockKey.BYTES).mismatch(pattern.asSlice(BlockKey.BYTES)) == -1;
    }

    /** {@code batch} aligned native buffers of one block; filled with thread {@code t}'s pattern if t >= 0. */
    private final class Buffers {
        private final List<MemorySegment> slots = new ArrayList<>(batch);

        Buffers(int t) {
            for (int i = 0; i < batch; i++) {
                MemorySegment s = arena.allocate(blockSize, ALIGNMENT);
                if (t >= 0) {
                    s.copyFrom(patterns[t]);
                }
                slots.add(s);
            }
        }

        MemorySegment get(int i) {
            return slots.get(i);
        }

        List<MemorySegment> first(int n) {
            return slots.subList(0, n);
        }
    }

    /** Totals of one phase over all threads. */
    private static final class Counters {
        private final String phase;
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong blocks = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final AtomicLong mismatches = new AtomicLong();
        private final List<Latencies> perThread = new ArrayList<>();

        Counters(String phase) {
            this.phase = phase;
        }

        synchronized Latencies latencies() {
            Latencies l = new Latencies();
            perThread.add(l);
            return l;
        }

        void add(long b, long ok, long bad, long mismatched) {
            bytes.addAndGet(b);
            blocks.addAndGet(ok);
            failed.addAndGet(bad);
            mismatches.addAndGet(mismatched);
        }

        synchronized PhaseResult result(Duration wall) {
            Latencies all = new Latencies();
            perThread.forEach(all::addAll);
            return new PhaseResult(phase, bytes.get(), blocks.get(), all.count(), wall, all.percentile(50), all.percentile(99),
                    failed.get(), mismatches.get());
        }
    }

    /** Runs {@code body} on every thread at once and returns the wall time until the last ends. */
    private Duration inParallel(ThreadBody body) throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "bench-client");
            th.setDaemon(true);
            return th;
        });
        try {
            CountDownLatch go = new CountDownLatch(1);
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
                    switch (e.getCause()) {
                        case IOException io -> throw io;
                        case RuntimeException re -> throw re;
                        case Error err -> throw err;
                        default -> throw new IOException(e.getCause());
                    }
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

    @FunctionalInterface
    private interface ThreadBody {
        void run(int thread) throws IOException, InterruptedException;
    }
}
