package io.spillway.engine;

import io.spillway.segments.io.FileIO;
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
 * A {@link FileIO} that delegates to a real one and lets a test make data writes, syncs or reads
 * hang on a {@link Gate} or fail with an {@link IOException}.
 *
 * <p>Only writes and reads past a segment's header block ({@code offset >= alignment}) are
 * "data" IO and subject to faults: creating a segment and opening a reader still work, so a test
 * can aim at one group's write or one payload's read. Syncs are all subject to faults; arm a sync
 * fault only once a segment is active (after a first dump), or the segment's creation meets it.
 *
 * <p>Use through {@link #factory()}: {@code SegmentStore.open(config, registry, faulty.factory())}.
 * One instance serves one single-backend store at a time. Public for other modules' tests (the
 * daemon's deadline test hangs its disk with it).
 */
public final class FaultyFileIO implements FileIO {

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
    /** While set, creating files and writing data fail as on a full disk (ENOSPC). */
    private volatile boolean diskFull;
    private final Map<Op, AtomicInteger> failures = new ConcurrentHashMap<>();
    private volatile FileIO real;

    /**
     * An {@link IoFactory} that wraps what the default probing factory picks for the store's
     * (single) backend directory and returns this instance. Faults armed here survive a reopen.
     */
    public IoFactory factory() {
        return (dir, wantDirect, alignment) -> {
            real = IoFactory.PROBING.forDirectory(dir, wantDirect, alignment);
            return this;
        };
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
    void diskFull(boolean full) {
        diskFull = full;
    }

    private void failIfFull(String syscall, Path file) throws IOException {
        if (diskFull) {
            throw new io.spillway.segments.io.NativeIOException(syscall, file, 28, "No space left on device (injected)");
        }
    }

    /** Removes every fault (gates already holding operations stay closed until opened). */
    public void clear() {
        gates.clear();
        failures.clear();
    }

    private void inject(Op op, long offset, Path file) throws IOException {
        if (op != Op.SYNC && offset < real.alignment()) {
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

    private StoreFile wrap(Path path, StoreFile f) {
        return new StoreFile() {
            @Override
            public void write(MemorySegment src, long offset) throws IOException {
                failIfFull("pwrite", path);
                Gate g = gates.get(Op.WRITE);
                inject(Op.WRITE, offset, path);
                f.write(src, offset);
                passed(g);
            }

            @Override
            public long read(MemorySegment dst, long offset) throws IOException {
                Gate g = gates.get(Op.READ);
                inject(Op.READ, offset, path);
                long n = f.read(dst, offset);
                passed(g);
                return n;
            }

            @Override
            public void sync() throws IOException {
                Gate g = gates.get(Op.SYNC);
                inject(Op.SYNC, 0, path);
                f.sync();
                passed(g);
            }

            @Override
            public boolean preallocate(long offset, long length) throws IOException {
                return f.preallocate(offset, length);
            }

            @Override
            public void truncate(long size) throws IOException {
                f.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return f.size();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public boolean directIo() {
        return real.directIo();
    }

    @Override
    public int alignment() {
        return real.alignment();
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        return wrap(file, real.openRead(file));
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        failIfFull("open", file);
        return wrap(file, real.create(file));
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        return wrap(file, real.openWrite(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        real.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        real.syncDirectory(dir);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return real.delete(file);
    }

    @Override
    public boolean exists(Path file) throws IOException {
        return real.exists(file);
    }

    @Override
    public long allocatedBytes(Path file) throws IOException {
        return real.allocatedBytes(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        real.createDirectories(dir);
    }
}
