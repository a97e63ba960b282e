package io.spillway.testkit.io;

import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ForwardingFileIO;
import io.spillway.segments.io.ForwardingStoreFile;
import io.spillway.segments.io.NativeIOException;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults for real file IO: makes data writes, syncs or reads hang on a {@link Gate} or fail with
 * an {@link IOException}, and creates and writes fail as on a full disk.
 *
 * <p>Only writes and reads past a segment's header block ({@code offset >= alignment}) are
 * "data" IO and subject to faults: creating a segment and opening a reader still work, so a test
 * can aim at one group's write or one payload's read. Syncs are all subject to faults; arm a sync
 * fault only once a segment is active (after a first dump), or the segment's creation meets it.
 * A gather write is faulted piece by piece, as if each piece were its own pwrite.
 *
 * <p>One instance holds the faults; {@link #over} and {@link #forDirectory} give the
 * {@link FileIO}s that obey them. Faults armed here therefore survive a store's reopen: a store
 * takes {@code faulty::forDirectory} as its IO factory and gets a fresh, equally faulty IO per
 * directory at every open.
 */
public final class FaultyFileIO {

    /** The operations a fault can target. */
    public enum Op { WRITE, SYNC, READ }

    /** Holds matching operations until {@link #open()}; every waiter is let through at once. */
    public static final class Gate {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final AtomicInteger passed = new AtomicInteger();

        /** Waits until an operation is held at the gate. */
        public void awaitEntered() throws InterruptedException {
            if (!entered.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("no operation reached the gate in 10 s");
            }
        }

        /** Lets every held (and later) operation through. */
        public void open() {
            release.countDown();
        }

        /** Waits until {@code n} operations held here have completed in the real file system. */
        public void awaitPassed(int n, Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (passed.get() < n) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("only " + passed.get() + " of " + n + " gated operations completed");
                }
                Thread.sleep(5);
            }
        }

        private void hold() {
            entered.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    release.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a hung syscall ignores interrupts too
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final Map<Op, Gate> gates = new ConcurrentHashMap<>();
    private final Map<Op, AtomicInteger> failures = new ConcurrentHashMap<>();
    /** While set, creating files and writing data fail as on a full disk (ENOSPC). */
    private volatile boolean diskFull;

    /**
     * What {@link DirectIoProbe} picks for {@code dir}, with this instance's faults: the shape of
     * the engine's IO factory.
     */
    public FileIO forDirectory(Path dir, boolean wantDirect, int alignment) {
        return over(DirectIoProbe.forDirectory(dir, wantDirect, alignment));
    }

    /** {@code real}, with this instance's faults. */
    public FileIO over(FileIO real) {
        return new Faulty(real);
    }

    /** Makes every following {@code op} block until the returned gate is opened. */
    public Gate hang(Op op) {
        Gate g = new Gate();
        gates.put(op, g);
        return g;
    }

    /** Makes the next {@code times} {@code op}s fail with an IOException. */
    public void fail(Op op, int times) {
        failures.put(op, new AtomicInteger(times));
    }

    /** Makes creates and data writes fail with ENOSPC until called with false. */
    public void diskFull(boolean full) {
        diskFull = full;
    }

    /** Removes every fault (gates already holding operations stay closed until opened). */
    public void clear() {
        gates.clear();
        failures.clear();
    }

    private void failIfFull(String syscall, Path file) throws IOException {
        if (diskFull) {
            throw new NativeIOException(syscall, file, 28, "No space left on device (injected)");
        }
    }

    private void inject(Op op, long offset, Path file, int alignment) throws IOException {
        if (op != Op.SYNC && offset < alignment) {
            return;
        }
        AtomicInteger f = failures.get(op);
        if (f != null && f.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("injected " + op + " failure on " + file.getFileName() + " at offset " + offset);
        }
        Gate g = gates.get(op);
        if (g != null) {
            g.hold();
        }
    }

    private static void passed(Gate g) {
        if (g != null) {
            g.passed.incrementAndGet();
        }
    }

    /** The IO of one directory. */
    private final class Faulty extends ForwardingFileIO {

        Faulty(FileIO real) {
            super(real);
        }

        @Override
        public StoreFile create(Path file) throws IOException {
            failIfFull("open", file);
            return super.create(file);
        }

        @Override
        protected StoreFile wrap(Path file, StoreFile opened) {
            return new FaultyFile(file, opened, alignment());
        }
    }

    /** One open file, its data IO subject to the faults. */
    private final class FaultyFile extends ForwardingStoreFile {
        private final Path path;
        private final int alignment;

        FaultyFile(Path path, StoreFile real, int alignment) {
            super(real);
            this.path = path;
            this.alignment = alignment;
        }

        @Override
        public void write(MemorySegment src, long offset) throws IOException {
            failIfFull("pwrite", path);
            Gate g = gates.get(Op.WRITE);
            inject(Op.WRITE, offset, path, alignment);
            super.write(src, offset);
            passed(g);
        }

        @Override
        public void write(List<MemorySegment> srcs, long offset) throws IOException {
            long at = offset;
            for (MemorySegment s : srcs) {
                write(s, at);
                at += s.byteSize();
            }
        }

        @Override
        public long read(MemorySegment dst, long offset) throws IOException {
            Gate g = gates.get(Op.READ);
            inject(Op.READ, offset, path, alignment);
            long n = super.read(dst, offset);
            passed(g);
            return n;
        }

        @Override
        public void sync() throws IOException {
            Gate g = gates.get(Op.SYNC);
            inject(Op.SYNC, 0, path, alignment);
            super.sync();
            passed(g);
        }
    }
}
