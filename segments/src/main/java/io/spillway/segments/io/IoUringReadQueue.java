package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReadQueue} over one {@link IoUring}: callers submit reads from any thread, and one
 * reaper thread takes the completions and reports them. Reads of files that have no descriptor
 * of this process's own ({@link ChannelFileIO}, test doubles) or into heap memory go to a
 * {@link ThreadedReadQueue} instead.
 *
 * <p>Per read:
 * <ol>
 *   <li>{@link #read} takes a reference on the file's {@link NativeFd} (so the descriptor number
 *       cannot be closed and reused by another file while the kernel still reads it), records
 *       the operation under a fresh user-data id and submits {@code IORING_OP_READ};
 *   <li>the reaper removes the id from the table (whoever removes it reports: exactly once) and
 *       looks at the result: a short read that is not the end of the file (a positive count, and
 *       under O_DIRECT a multiple of the alignment) is submitted again for the rest, as
 *       {@link StoreFile#read} loops over short {@code pread}s; EINTR and EAGAIN are submitted
 *       again a bounded number of times; any other error fails the read with the errno;
 *   <li>the reaper releases the descriptor reference and calls the completion.
 * </ol>
 *
 * <p>Shutdown: new reads are refused, the reads in flight are waited for (with a deadline), then
 * a no-op wakes the reaper, which exits; the ring is closed once the reaper has stopped.
 */
public final class IoUringReadQueue implements ReadQueue {

    private static final Logger LOG = LoggerFactory.getLogger(IoUringReadQueue.class);
    /** The user data of the no-op that wakes the reaper to stop; reads use ids from 1 up. */
    private static final long WAKE = 0;
    private static final int MAX_RETRIES = 16;

    private final IoUring ring;
    private final int depth;
    private final String name;
    private final Map<Long, Op> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(WAKE);
    private final Thread reaper;
    private volatile boolean refusing;
    private volatile boolean stopping;
    private ThreadedReadQueue threads; // guarded by this; for files without a descriptor

    private IoUringReadQueue(IoUring ring, int depth, String name) {
        this.ring = ring;
        this.depth = depth;
        this.name = name;
        this.reaper = Thread.ofPlatform().name(name + "-reaper").daemon(true).unstarted(this::reap);
    }

    /**
     * Sets up a ring of {@code depth} entries and starts its reaper.
     *
     * @throws IOException or {@link UnsupportedOperationException} when the kernel or the
     *     platform refuses io_uring (see {@link IoUring#open})
     */
    public static IoUringReadQueue open(int depth, String name) throws IOException {
        IoUring ring = IoUring.open(depth);
        IoUringReadQueue q = new IoUringReadQueue(ring, Math.min(depth, ring.entries()), name);
        q.reaper.start();
        return q;
    }

    /** One read, possibly in several submissions. {@code done} is touched by the reaper only, after the first submission. */
    private static final class Op {
        final PosixStoreFile file;
        final int fd;
        final MemorySegment dst;
        final long offset;
        final ReadCompletion completion;
        long done;
        int retries;

        Op(PosixStoreFile file, int fd, MemorySegment dst, long offset, ReadCompletion completion) {
            this.file = file;
            this.fd = fd;
            this.dst = dst;
            this.offset = offset;
            this.completion = completion;
        }
    }

    @Override
    public void read(StoreFile file, MemorySegment dst, long offset, ReadCompletion completion) throws IOException {
        if (!(file instanceof PosixStoreFile posix) || !dst.isNative()) {
            threads().read(file, dst, offset, completion);
            return;
        }
        if (refusing) {
            throw new IOException("the read queue is shut down");
        }
        posix.checkArguments(dst, offset);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only segment: " + dst);
        }
        int fd = posix.descriptor().acquire();
        Op op = new Op(posix, fd, dst, offset, completion);
        try {
            submit(op);
        } catch (IOException | RuntimeException e) {
            posix.descriptor().release();
            throw e;
        }
    }

    /** Submits the rest of {@code op} under a new id. */
    private void submit(Op op) throws IOException {
        long id = ids.incrementAndGet();
        inFlight.put(id, op);
        long want = Math.min(op.dst.byteSize() - op.done, IoUring.MAX_READ);
        try {
            ring.submitRead(op.fd, op.dst.address() + op.done, want, op.offset + op.done, id);
        } catch (IOException | RuntimeException e) {
            inFlight.remove(id);
            throw e;
        }
    }

    private synchronized ThreadedReadQueue threads() {
        if (threads == null) {
            threads = new ThreadedReadQueue(depth, name + "-threads");
        }
        return threads;
    }

    private void reap() {
        try {
            while (!stopping) {
                ring.awaitCompletions(this::onCompletion);
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("io_uring reaper {} failed; {} reads in flight are failed", name, inFlight.size(), e);
            for (Long id : inFlight.keySet()) {
                Op op = inFlight.remove(id);
                if (op != null) {
                    finish(op, new IOException("the io_uring reaper failed: " + e, e));
                }
            }
        }
    }

    /** Step 2 for one completion (reaper thread). */
    private void onCompletion(long userData, int result) {
        if (userData == WAKE) {
            return; // stopping is already set; the loop ends
        }
        Op op = inFlight.remove(userData);
        if (op == null) {
            LOG.warn("io_uring completion for unknown read {} (result {}) ignored", userData, result);
            return;
        }
        if (result < 0) {
            int errno = -result;
            if ((errno == Errno.EINTR || errno == Errno.EAGAIN) && op.retries++ < MAX_RETRIES) {
                resubmit(op);
                return;
            }
            finish(op, Errno.exception("io_uring read", op.file.path(),
                    "offset " + (op.offset + op.done) + ", " + (op.dst.byteSize() - op.done) + " bytes", errno));
            return;
        }
        op.done += result;
        boolean endOfFile = result == 0 || op.file.direct() && (result & (op.file.alignment() - 1L)) != 0;
        if (op.done >= op.dst.byteSize() || endOfFile) {
            finish(op, null);
        } else {
            resubmit(op);
        }
    }

    private void resubmit(Op op) {
        try {
            submit(op);
        } catch (IOException | RuntimeException e) {
            finish(op, e instanceof IOException io ? io : new IOException("resubmitting a read failed: " + e, e));
        }
    }

    /** Step 3: the descriptor reference goes first, so a completion that closes the file closes it at once. */
    private void finish(Op op, IOException error) {
        op.file.descriptor().release();
        try {
            if (error == null) {
                op.completion.completed(op.done);
            } else {
                op.completion.failed(error);
            }
        } catch (RuntimeException e) {
            LOG.error("a read completion of {} threw; the reaper goes on", op.file.path(), e);
        }
    }

    @Override
    public int depth() {
        return depth;
    }

    @Override
    public String describe() {
        return "io_uring (" + depth + " entries)";
    }

    @Override
    public int shutdown(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        refusing = true;
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(1);
        }
        int left = inFlight.size();
        ThreadedReadQueue t;
        synchronized (this) {
            t = threads;
        }
        if (t != null) {
            left += t.shutdown(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        stopping = true;
        try {
            ring.submitNop(WAKE);
        } catch (IOException e) {
            LOG.warn("could not wake io_uring reaper {}: {}", name, e.getMessage());
        }
        reaper.join(Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        if (reaper.isAlive()) {
            // It may still touch the rings: leave them mapped (a leak, not a crash).
            LOG.warn("io_uring reaper {} did not stop; its ring stays mapped", name);
            return Math.max(left, 1);
        }
        try {
            ring.close();
        } catch (IOException e) {
            LOG.warn("closing io_uring {} failed: {}", name, e.getMessage());
        }
        return left;
    }
}
