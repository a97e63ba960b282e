package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReadQueue} and {@link WriteQueue} over one {@link IoUring}: callers submit from any
 * thread, and one reaper thread takes the completions and reports them. Reads of files that have
 * no descriptor of this process's own ({@link ChannelFileIO}, test doubles) or into heap memory
 * go to a {@link ThreadedReadQueue} instead; such writes, and writes of more pieces than one
 * iovec array takes, run {@linkplain WriteQueue#inline() inline}.
 *
 * <p>Per operation:
 * <ol>
 *   <li>{@link #read} or {@link #write} takes a reference on the file's {@link NativeFd} (so the
 *       descriptor number cannot be closed and reused by another file while the kernel still
 *       uses it), records the operation under a fresh user-data id and submits
 *       {@code IORING_OP_READ}, or {@code IORING_OP_WRITEV} with an iovec array of its own;
 *   <li>the reaper removes the id from the table (whoever removes it reports: exactly once) and
 *       looks at the result: a short transfer is submitted again for the rest, as
 *       {@link StoreFile#read} and {@link StoreFile#write} loop (a read that stops short at the
 *       end of the file, or under O_DIRECT off the alignment, is the end of it; a short write
 *       under O_DIRECT resumes from its last aligned byte); EINTR and EAGAIN are submitted again
 *       a bounded number of times; any other error fails the operation with the errno;
 *   <li>the reaper releases the descriptor reference and calls the completion.
 * </ol>
 *
 * <p>Shutdown: new operations are refused, those in flight are waited for (with a deadline), then
 * a no-op wakes the reaper, which exits; the ring is closed once the reaper has stopped.
 */
public final class IoUringQueue implements ReadQueue, WriteQueue {

    private static final Logger LOG = LoggerFactory.getLogger(IoUringQueue.class);
    /** The user data of the no-op that wakes the reaper to stop; operations use ids from 1 up. */
    private static final long WAKE = 0;
    private static final int MAX_RETRIES = 16;
    private static final long IOVEC_BYTES = 16;

    private final IoUring ring;
    private final int depth;
    private final String name;
    private final Map<Long, Op> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(WAKE);
    private final Thread reaper;
    private volatile boolean refusing;
    private volatile boolean stopping;
    private ThreadedReadQueue threads; // guarded by this; for files without a descriptor

    private IoUringQueue(IoUring ring, int depth, String name) {
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
    public static IoUringQueue open(int depth, String name) throws IOException {
        IoUring ring = IoUring.open(depth);
        IoUringQueue q = new IoUringQueue(ring, Math.min(depth, ring.entries()), name);
        q.reaper.start();
        return q;
    }

    /**
     * One read or write, possibly in several submissions. {@code done} and {@code retries} are
     * touched by the reaper only, after the first submission.
     */
    private abstract static class Op {
        final PosixStoreFile file;
        final int fd;
        final long offset;
        final long length;
        long done;
        int retries;

        Op(PosixStoreFile file, int fd, long offset, long length) {
            this.file = file;
            this.fd = fd;
            this.offset = offset;
            this.length = length;
        }

        /** Submits what is left, from {@code done}, under {@code id}. */
        abstract void submitRest(IoUring ring, long id) throws IOException;

        /** Takes a successful result; true when the operation has ended. */
        abstract boolean advance(int result);

        abstract String call();

        abstract void succeeded();

        abstract void failed(IOException error);
    }

    private static final class ReadOp extends Op {
        final MemorySegment dst;
        final ReadCompletion completion;

        ReadOp(PosixStoreFile file, int fd, MemorySegment dst, long offset, ReadCompletion completion) {
            super(file, fd, offset, dst.byteSize());
            this.dst = dst;
            this.completion = completion;
        }

        @Override
        void submitRest(IoUring ring, long id) throws IOException {
            ring.submitRead(fd, dst.address() + done, Math.min(length - done, IoUring.MAX_READ), offset + done, id);
        }

        @Override
        boolean advance(int result) {
            done += result;
            boolean endOfFile = result == 0 || file.direct() && (result & (file.alignment() - 1L)) != 0;
            return done >= length || endOfFile;
        }

        @Override
        String call() {
            return "io_uring read";
        }

        @Override
        void succeeded() {
            completion.completed(done);
        }

        @Override
        void failed(IOException error) {
            completion.failed(error);
        }
    }

    private static final class WriteOp extends Op {
        final List<MemorySegment> pieces;
        final WriteCompletion completion;
        /** The iovecs of the submission in flight: the kernel reads them until it completes. */
        MemorySegment iovecs;

        WriteOp(PosixStoreFile file, int fd, List<MemorySegment> pieces, long offset, long length, WriteCompletion completion) {
            super(file, fd, offset, length);
            this.pieces = pieces;
            this.completion = completion;
        }

        @Override
        void submitRest(IoUring ring, long id) throws IOException {
            // Freed by the GC once the op is gone: a shared arena's close would cost a handshake
            // with every thread per write.
            iovecs = Arena.ofAuto().allocate(IOVEC_BYTES * pieces.size(), 8);
            int count = 0;
            long at = 0;
            for (MemorySegment p : pieces) {
                long end = at + p.byteSize();
                if (end > done) {
                    long skip = Math.max(0, done - at);
                    iovecs.set(JAVA_LONG, IOVEC_BYTES * count, p.address() + skip);
                    iovecs.set(JAVA_LONG, IOVEC_BYTES * count + 8, p.byteSize() - skip);
                    count++;
                }
                at = end;
            }
            ring.submitWritev(fd, iovecs, count, offset + done, id);
        }

        @Override
        boolean advance(int result) {
            if (result == 0 && retries++ >= MAX_RETRIES) {
                throw new IllegalStateException("io_uring writev wrote nothing " + MAX_RETRIES + " times");
            }
            done += result;
            if (done < length && file.direct()) {
                done &= ~(file.alignment() - 1L); // O_DIRECT resumes from an aligned point
            }
            return done >= length;
        }

        @Override
        String call() {
            return "io_uring writev";
        }

        @Override
        void succeeded() {
            completion.completed();
        }

        @Override
        void failed(IOException error) {
            completion.failed(error);
        }
    }

    @Override
    public void read(StoreFile file, MemorySegment dst, long offset, ReadCompletion completion) throws IOException {
        if (!(file instanceof PosixStoreFile posix) || !dst.isNative()) {
            threads().read(file, dst, offset, completion);
            return;
        }
        posix.checkArguments(dst, offset);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only segment: " + dst);
        }
        start(posix, fd -> new ReadOp(posix, fd, dst, offset, completion));
    }

    @Override
    public void write(StoreFile file, List<MemorySegment> pieces, long offset, WriteCompletion completion) throws IOException {
        if (!(file instanceof PosixStoreFile posix) || pieces.size() > LinuxSyscalls.IOV_MAX
                || !pieces.stream().allMatch(MemorySegment::isNative)) {
            if (refusing) {
                throw new IOException("the write queue is shut down");
            }
            WriteQueue.inline().write(file, pieces, offset, completion);
            return;
        }
        long length = 0;
        for (MemorySegment p : pieces) {
            posix.checkArguments(p, offset);
            length += p.byteSize();
        }
        if (length == 0) {
            throw new IllegalArgumentException("a write of no bytes");
        }
        posix.failIfPoisoned();
        long total = length;
        start(posix, fd -> new WriteOp(posix, fd, List.copyOf(pieces), offset, total, completion));
    }

    /** Step 1: the descriptor reference, then the first submission. */
    private void start(PosixStoreFile posix, IntFunction<Op> op) throws IOException {
        if (refusing) {
            throw new IOException("the io_uring queue is shut down");
        }
        int fd = posix.descriptor().acquire();
        try {
            submit(op.apply(fd));
        } catch (IOException | RuntimeException e) {
            posix.descriptor().release();
            throw e;
        }
    }

    /** Submits the rest of {@code op} under a new id. */
    private void submit(Op op) throws IOException {
        long id = ids.incrementAndGet();
        inFlight.put(id, op);
        try {
            op.submitRest(ring, id);
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
            LOG.error("io_uring reaper {} failed; {} operations in flight are failed", name, inFlight.size(), e);
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
            LOG.warn("io_uring completion for unknown operation {} (result {}) ignored", userData, result);
            return;
        }
        if (result < 0) {
            int errno = -result;
            if ((errno == Errno.EINTR || errno == Errno.EAGAIN) && op.retries++ < MAX_RETRIES) {
                resubmit(op);
                return;
            }
            finish(op, Errno.exception(op.call(), op.file.path(),
                    "offset " + (op.offset + op.done) + ", " + (op.length - op.done) + " bytes", errno));
            return;
        }
        boolean ended;
        try {
            ended = op.advance(result);
        } catch (IllegalStateException e) {
            finish(op, new IOException(op.file.path() + ": " + e.getMessage()));
            return;
        }
        if (ended) {
            finish(op, null);
        } else {
            resubmit(op);
        }
    }

    private void resubmit(Op op) {
        try {
            submit(op);
        } catch (IOException | RuntimeException e) {
            finish(op, e instanceof IOException io ? io : new IOException("resubmitting " + op.call() + " failed: " + e, e));
        }
    }

    /** Step 3: the descriptor reference goes first, so a completion that closes the file closes it at once. */
    private void finish(Op op, IOException error) {
        op.file.descriptor().release();
        try {
            if (error == null) {
                op.succeeded();
            } else {
                op.failed(error);
            }
        } catch (RuntimeException e) {
            LOG.error("a completion of {} threw; the reaper goes on", op.file.path(), e);
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
