package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One io_uring instance: the submission and completion rings mapped into this process, without
 * SQPOLL (the kernel consumes submissions only inside {@code io_uring_enter}).
 *
 * <p>Threading: any number of threads submit (a lock orders them: fill an entry, publish the
 * tail, enter); exactly one thread at a time reaps with {@link #awaitCompletions}. The ring does
 * not bound what is in flight: its user keeps at most {@link #entries()} operations outstanding,
 * so the completion ring (twice as large, by the kernel's default) never overflows.
 *
 * <p>Memory ordering follows the kernel's io_uring ABI: the submission tail and the completion
 * head are published with release stores, the kernel's submission head and completion tail are
 * read with acquire loads. Entries are written before their tail is published and read before
 * their head is released.
 *
 * <p>Layouts (from {@code include/uapi/linux/io_uring.h}): {@code struct io_uring_params} is 120
 * bytes with {@code sq_off} at 40 and {@code cq_off} at 80; a submission entry is 64 bytes
 * (opcode 0, fd 4, off 8, addr 16, len 24, user_data 32); a completion entry is 16 bytes
 * (user_data 0, res 8, flags 12).
 */
final class IoUring {

    static final byte IORING_OP_NOP = 0;
    /** Linux 5.1, so every kernel that passes the READ probe (5.6) has it. */
    static final byte IORING_OP_WRITEV = 2;
    static final byte IORING_OP_READ = 22;
    static final int IORING_ENTER_GETEVENTS = 1;
    static final int IORING_FEAT_SINGLE_MMAP = 1;
    static final int IORING_REGISTER_PROBE = 8;
    static final long IORING_OFF_SQ_RING = 0L;
    static final long IORING_OFF_CQ_RING = 0x8000000L;
    static final long IORING_OFF_SQES = 0x10000000L;
    /** The largest read one entry asks for; the kernel caps a read near 2 GiB anyway. */
    static final long MAX_READ = 1L << 30;

    private static final int PARAMS_BYTES = 120;
    private static final int SQE_BYTES = 64;
    private static final int CQE_BYTES = 16;
    private static final int PROBE_OPS = 256;
    private static final short IO_URING_OP_SUPPORTED = 1;
    /** How long a submission retries EAGAIN/EBUSY (kernel short of memory, completions backed up) before failing. */
    private static final long SUBMIT_RETRY_NANOS = 1_000_000_000L;
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final int fd;
    private final int entries;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHeadOff;
    private final long sqTailOff;
    private final int sqMask;
    private final long cqHeadOff;
    private final long cqTailOff;
    private final long cqesOff;
    private final int cqMask;
    private final ReentrantLock submitLock = new ReentrantLock();
    private int sqTail; // guarded by submitLock
    private int cqHead; // reaper only
    private volatile boolean closed;

    private IoUring(int fd, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        this.fd = fd;
        this.entries = params.get(JAVA_INT, 0);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqHeadOff = params.get(JAVA_INT, 40);
        this.sqTailOff = params.get(JAVA_INT, 44);
        this.sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, 48));
        long arrayOff = params.get(JAVA_INT, 64);
        this.cqHeadOff = params.get(JAVA_INT, 80);
        this.cqTailOff = params.get(JAVA_INT, 84);
        this.cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, 88));
        this.cqesOff = params.get(JAVA_INT, 100);
        this.sqTail = (int) INT.getAcquire(sqRing, sqTailOff);
        this.cqHead = (int) INT.getAcquire(cqRing, cqHeadOff);
        // The indirection array maps ring slot i to entry i, once: we always fill entry (tail & mask).
        for (int i = 0; i < entries; i++) {
            sqRing.set(JAVA_INT, arrayOff + 4L * i, i);
        }
    }

    /** Why this process cannot use io_uring at all (no FFM, not Linux), if it cannot. */
    static Optional<String> unavailableReason() {
        return IoUringSyscalls.unavailableReason();
    }

    /**
     * Creates a ring of at least {@code entries} submission entries (the kernel rounds up to a
     * power of two) and checks that it supports {@code IORING_OP_READ} (Linux 5.6).
     *
     * @throws NativeIOException when {@code io_uring_setup} is refused: EPERM (a seccomp filter,
     *     {@code kernel.io_uring_disabled}), ENOSYS (no io_uring in this kernel), ENOMEM
     * @throws UnsupportedOperationException when the platform has no bindings, or the kernel's
     *     io_uring cannot read
     */
    static IoUring open(int entries) throws IOException {
        if (entries < 1 || entries > 4096) {
            throw new IllegalArgumentException("io_uring entries must be 1 to 4096, got " + entries);
        }
        MemorySegment sq = null;
        MemorySegment cq = null;
        MemorySegment sqes = null;
        int fd = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS_BYTES, 8);
            fd = IoUringSyscalls.setup(entries, params);
            int sqEntries = params.get(JAVA_INT, 0);
            int cqEntries = params.get(JAVA_INT, 4);
            int features = params.get(JAVA_INT, 20);
            long sqSize = params.get(JAVA_INT, 64) + 4L * sqEntries;
            long cqSize = params.get(JAVA_INT, 100) + (long) CQE_BYTES * cqEntries;
            if ((features & IORING_FEAT_SINGLE_MMAP) != 0) {
                sq = IoUringSyscalls.mmap(fd, Math.max(sqSize, cqSize), IORING_OFF_SQ_RING);
                cq = sq;
            } else {
                sq = IoUringSyscalls.mmap(fd, sqSize, IORING_OFF_SQ_RING);
                cq = IoUringSyscalls.mmap(fd, cqSize, IORING_OFF_CQ_RING);
            }
            sqes = IoUringSyscalls.mmap(fd, (long) SQE_BYTES * sqEntries, IORING_OFF_SQES);
            requireRead(fd, arena);
            return new IoUring(fd, params, sq, cq, sqes);
        } catch (IOException | RuntimeException e) {
            unmapQuietly(sqes, e);
            if (cq != sq) {
                unmapQuietly(cq, e);
            }
            unmapQuietly(sq, e);
            if (fd >= 0) {
                try {
                    LinuxSyscalls.close(fd, null);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** {@code IORING_REGISTER_PROBE}: the ring must support IORING_OP_READ. */
    private static void requireRead(int fd, Arena arena) throws IOException {
        MemorySegment probe = arena.allocate(16 + 8L * PROBE_OPS, 8);
        try {
            IoUringSyscalls.register(fd, IORING_REGISTER_PROBE, probe, PROBE_OPS);
        } catch (NativeIOException e) {
            throw new UnsupportedOperationException("io_uring cannot be probed (" + e.getMessage()
                    + "); IORING_OP_READ needs Linux 5.6 or later");
        }
        int opsLen = Byte.toUnsignedInt(probe.get(JAVA_BYTE, 1));
        boolean read = IORING_OP_READ < opsLen
                && (probe.get(JAVA_SHORT, 16 + 8L * IORING_OP_READ + 2) & IO_URING_OP_SUPPORTED) != 0;
        if (!read) {
            throw new UnsupportedOperationException("this kernel's io_uring does not support IORING_OP_READ (needs Linux 5.6)");
        }
    }

    /** The submission ring's size: the most operations its user may keep in flight. */
    int entries() {
        return entries;
    }

    /**
     * Submits a read of {@code length} bytes (at most {@link #MAX_READ}) at {@code offset} of
     * {@code fileFd} into native memory at {@code address}. The completion carries
     * {@code userData}.
     *
     * @throws IOException when the kernel refused the submission; the operation then never runs
     */
    void submitRead(int fileFd, long address, long length, long offset, long userData) throws IOException {
        if (length <= 0 || length > MAX_READ) {
            throw new IllegalArgumentException("an io_uring read is 1 byte to " + MAX_READ + " bytes, got " + length);
        }
        submit(IORING_OP_READ, fileFd, address, (int) length, offset, userData);
    }

    /**
     * Submits a gathered write of the {@code count} iovecs (16 bytes each: base, length) at
     * native {@code iovecs} to {@code offset} of {@code fileFd}. The iovec array and the memory it
     * points at must stay untouched until the completion, which carries {@code userData}.
     *
     * @throws IOException when the kernel refused the submission; the operation then never runs
     */
    void submitWritev(int fileFd, MemorySegment iovecs, int count, long offset, long userData) throws IOException {
        if (count < 1 || count > LinuxSyscalls.IOV_MAX || iovecs.byteSize() < 16L * count) {
            throw new IllegalArgumentException("an io_uring writev takes 1 to " + LinuxSyscalls.IOV_MAX + " iovecs, got " + count);
        }
        submit(IORING_OP_WRITEV, fileFd, iovecs.address(), count, offset, userData);
    }

    /** Submits a no-op whose completion carries {@code userData} (wakes the reaper). */
    void submitNop(long userData) throws IOException {
        submit(IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    /**
     * Fills the next entry, publishes it and enters the kernel to consume it. Without SQPOLL the
     * kernel reads entries only inside this locked {@code io_uring_enter}, so an entry the kernel
     * refused is withdrawn by moving the tail back: it can never run later behind the caller's
     * back (its buffer may be reused once the caller hears of the failure).
     */
    private void submit(byte opcode, int fileFd, long address, int length, long offset, long userData) throws IOException {
        submitLock.lock();
        try {
            if (closed) {
                throw new IOException("io_uring is closed");
            }
            int head = (int) INT.getAcquire(sqRing, sqHeadOff);
            if (sqTail - head >= entries) {
                throw new IOException("io_uring submission ring is full (" + entries + " entries)");
            }
            long base = (long) (sqTail & sqMask) * SQE_BYTES;
            MemorySegment sqe = sqes.asSlice(base, SQE_BYTES);
            sqe.fill((byte) 0);
            sqe.set(JAVA_BYTE, 0, opcode);
            sqe.set(JAVA_INT, 4, fileFd);
            sqe.set(JAVA_LONG, 8, offset);
            sqe.set(JAVA_LONG, 16, address);
            sqe.set(JAVA_INT, 24, length);
            sqe.set(JAVA_LONG, 32, userData);
            INT.setRelease(sqRing, sqTailOff, sqTail + 1);
            try {
                enterToSubmit();
            } catch (IOException | RuntimeException e) {
                INT.setRelease(sqRing, sqTailOff, sqTail);
                throw e;
            }
            sqTail++;
        } finally {
            submitLock.unlock();
        }
    }

    /** {@code io_uring_enter} until the one new entry is consumed; EINTR, EAGAIN and EBUSY are retried for a bounded time. */
    private void enterToSubmit() throws IOException {
        long giveUp = System.nanoTime() + SUBMIT_RETRY_NANOS;
        while (true) {
            try {
                if (IoUringSyscalls.enter(fd, 1, 0, 0) == 1) {
                    return;
                }
            } catch (NativeIOException e) {
                boolean transient_ = e.errno() == Errno.EINTR || e.errno() == Errno.EAGAIN || e.errno() == Errno.EBUSY;
                if (!transient_ || System.nanoTime() > giveUp) {
                    throw e;
                }
            }
            if (System.nanoTime() > giveUp) {
                throw new IOException("io_uring_enter consumed no submission entry for " + SUBMIT_RETRY_NANOS / 1_000_000 + " ms");
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /** Receives one completion: the submission's user data and the kernel's result (bytes, or -errno). */
    @FunctionalInterface
    interface CompletionSink {
        void completed(long userData, int result);
    }

    /**
     * Waits until at least one completion is posted, then hands every posted one to
     * {@code sink}, in ring order. For the one reaper thread only.
     *
     * @return how many completions were handled
     */
    int awaitCompletions(CompletionSink sink) throws IOException {
        int tail = (int) INT.getAcquire(cqRing, cqTailOff);
        while (tail == cqHead) {
            try {
                IoUringSyscalls.enter(fd, 0, 1, IORING_ENTER_GETEVENTS);
            } catch (NativeIOException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
            tail = (int) INT.getAcquire(cqRing, cqTailOff);
        }
        int n = 0;
        while (cqHead != tail) {
            long base = cqesOff + (long) (cqHead & cqMask) * CQE_BYTES;
            long userData = cqRing.get(JAVA_LONG, base);
            int result = cqRing.get(JAVA_INT, base + 8);
            cqHead++;
            INT.setRelease(cqRing, cqHeadOff, cqHead); // the slot is free once read
            sink.completed(userData, result);
            n++;
        }
        return n;
    }

    /**
     * Unmaps the rings and closes the ring's descriptor. The reaper must have stopped. Reads
     * still in flight are cancelled or finished by the kernel on its own; their buffers must
     * stay allocated (the caller knows which).
     */
    void close() throws IOException {
        submitLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            submitLock.unlock();
        }
        IOException failure = null;
        for (MemorySegment m : cqRing == sqRing ? new MemorySegment[] {sqes, sqRing} : new MemorySegment[] {sqes, sqRing, cqRing}) {
            try {
                IoUringSyscalls.munmap(m);
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        LinuxSyscalls.close(fd, null);
        if (failure != null) {
            throw failure;
        }
    }

    private static void unmapQuietly(MemorySegment m, Exception into) {
        if (m == null) {
            return;
        }
        try {
            IoUringSyscalls.munmap(m);
        } catch (IOException e) {
            into.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "IoUring[fd " + fd + ", " + entries + " entries]";
    }
}
