package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * A file opened by {@link PosixFileIO}: positional pread/pwrite loops over a {@link NativeFd}.
 *
 * <p>Heap segments (buffered mode only) are copied through a native bounce buffer of at most
 * {@value #BOUNCE_CHUNK} bytes. Why not pass them straight to libc: that needs
 * {@code Linker.Option.critical(true)}, which pins the heap and blocks the garbage collector for
 * the whole syscall, and a syscall on a hung mount would then stall every thread of the JVM.
 * The engine passes native buffers, so the copy is off its hot path.
 *
 * <p>A failed {@code fdatasync} poisons the file: later writes and syncs fail with the same
 * error instead of letting a retry "succeed" after the kernel dropped the dirty pages (the
 * PostgreSQL fsync lesson). Reads stay allowed so the good prefix can still be sealed.
 */
final class PosixStoreFile implements StoreFile {

    static final long BOUNCE_CHUNK = 1L << 20;

    private final PosixFileIO io;
    private final Path path;
    private final NativeFd fd;
    private volatile IOException syncFailure;

    PosixStoreFile(PosixFileIO io, Path path, NativeFd fd) {
        this.io = io;
        this.path = path;
        this.fd = fd;
    }

    @Override
    public void write(MemorySegment src, long offset) throws IOException {
        checkArguments(src, offset);
        failIfPoisoned();
        int f = fd.acquire();
        try {
            if (src.isNative()) {
                writeFully(f, src, offset);
                return;
            }
            throughBounce(src, offset, (bounce, at, from) -> {
                MemorySegment.copy(src, from, bounce, 0, bounce.byteSize());
                writeFully(f, bounce, at);
                return bounce.byteSize();
            });
        } finally {
            fd.release();
        }
    }

    /**
     * Gathers the pieces into pwritev(2) calls of up to {@link LinuxSyscalls#IOV_MAX} pieces. A
     * short write (rare: a full disk, a signal) finishes piece by piece from the last aligned
     * point, like {@link #write(MemorySegment, long)}.
     */
    @Override
    public void write(List<MemorySegment> srcs, long offset) throws IOException {
        for (MemorySegment s : srcs) {
            checkArguments(s, offset);
            if (!s.isNative()) {
                StoreFile.super.write(srcs, offset); // heap pieces go through the bounce path
                return;
            }
        }
        failIfPoisoned();
        int f = fd.acquire();
        try {
            long at = offset;
            for (int from = 0; from < srcs.size(); from += LinuxSyscalls.IOV_MAX) {
                List<MemorySegment> run = srcs.subList(from, Math.min(srcs.size(), from + LinuxSyscalls.IOV_MAX));
                long want = 0;
                for (MemorySegment s : run) {
                    want += s.byteSize();
                }
                long n = LinuxSyscalls.pwritev(f, run, at, path);
                if (n < want) {
                    long done = alignedDown(n);
                    long pos = 0;
                    for (MemorySegment s : run) {
                        long end = pos + s.byteSize();
                        if (end > done) {
                            long skip = Math.max(0, done - pos);
                            writeFully(f, s.asSlice(skip), at + pos + skip);
                        }
                        pos = end;
                    }
                }
                at += want;
            }
        } finally {
            fd.release();
        }
    }

    /**
     * Loops until all bytes are written. With O_DIRECT a short write may end off the alignment,
     * so the loop resumes from the last aligned point; rewriting those bytes is harmless.
     */
    private void writeFully(int f, MemorySegment src, long offset) throws IOException {
        long done = 0;
        while (done < src.byteSize()) {
            long n = LinuxSyscalls.pwrite(f, src.asSlice(done), offset + done, path);
            long next = alignedDown(done + n);
            if (next <= done) {
                throw new IOException(path + ": pwrite made no progress (" + n + " of " + (src.byteSize() - done)
                        + " bytes at offset " + (offset + done) + ")");
            }
            done = next;
        }
    }

    @Override
    public long read(MemorySegment dst, long offset) throws IOException {
        checkArguments(dst, offset);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only segment: " + dst);
        }
        int f = fd.acquire();
        try {
            if (dst.isNative()) {
                return readFully(f, dst, offset);
            }
            return throughBounce(dst, offset, (bounce, at, into) -> {
                long n = readFully(f, bounce, at);
                MemorySegment.copy(bounce, 0, dst, into, n);
                return n;
            });
        } finally {
            fd.release();
        }
    }

    /** One chunk of a heap transfer: moves {@code bounce}'s bytes at file {@code at}, heap offset {@code heapOffset}. */
    @FunctionalInterface
    private interface Chunk {
        /** @return the bytes moved; fewer than {@code bounce.byteSize()} ends the transfer (end of file) */
        long move(MemorySegment bounce, long at, long heapOffset) throws IOException;
    }

    /**
     * Moves {@code heap} (file offset {@code offset}) chunk by chunk through a native bounce buffer
     * of at most {@value #BOUNCE_CHUNK} bytes (why: the class javadoc); stops after a short chunk.
     *
     * @return the bytes moved
     */
    private static long throughBounce(MemorySegment heap, long offset, Chunk chunk) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bounce = arena.allocate(Math.min(BOUNCE_CHUNK, heap.byteSize()));
            long done = 0;
            while (done < heap.byteSize()) {
                long want = Math.min(bounce.byteSize(), heap.byteSize() - done);
                long n = chunk.move(bounce.asSlice(0, want), offset + done, done);
                done += n;
                if (n < want) {
                    break;
                }
            }
            return done;
        }
    }

    /**
     * Loops until the buffer is full or end of file. A regular file reads short only at end of
     * file, so with O_DIRECT an unaligned count means the end was reached (asking again at an
     * unaligned offset would only earn EINVAL).
     */
    private long readFully(int f, MemorySegment dst, long offset) throws IOException {
        long done = 0;
        while (done < dst.byteSize()) {
            long n = LinuxSyscalls.pread(f, dst.asSlice(done), offset + done, path);
            if (n == 0) {
                break;
            }
            done += n;
            if (alignedDown(n) != n) {
                break;
            }
        }
        return done;
    }

    /** {@code n} rounded down to the alignment under O_DIRECT, whose transfers start only at aligned offsets. */
    private long alignedDown(long n) {
        return io.directIo() ? n & ~(io.alignment() - 1L) : n;
    }

    @Override
    public void sync() throws IOException {
        failIfPoisoned();
        int f = fd.acquire();
        try {
            LinuxSyscalls.fdatasync(f, path);
        } catch (IOException e) {
            syncFailure = e;
            throw e;
        } finally {
            fd.release();
        }
    }

    @Override
    public boolean preallocate(long offset, long length) throws IOException {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("preallocate needs offset >= 0 and length > 0, got offset "
                    + offset + ", length " + length);
        }
        if (!io.fallocateEnabled()) {
            return false;
        }
        int f = fd.acquire();
        try {
            LinuxSyscalls.fallocate(f, LinuxSyscalls.FALLOC_FL_KEEP_SIZE, offset, length, path);
            return true;
        } catch (NativeIOException e) {
            if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOSYS) {
                io.disableFallocate(path, e);
                return false;
            }
            throw e;
        } finally {
            fd.release();
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
        int f = fd.acquire();
        try {
            LinuxSyscalls.ftruncate(f, size, path);
        } finally {
            fd.release();
        }
    }

    @Override
    public long size() throws IOException {
        int f = fd.acquire();
        try {
            return LinuxSyscalls.size(f, path);
        } finally {
            fd.release();
        }
    }

    @Override
    public void close() throws IOException {
        fd.close();
    }

    /** The descriptor, for {@link IoUringQueue}: it holds a reference for every read it has in the kernel. */
    NativeFd descriptor() {
        return fd;
    }

    /** Whether the file was opened with O_DIRECT. */
    boolean direct() {
        return io.directIo();
    }

    /** The alignment direct IO needs. */
    int alignment() {
        return io.alignment();
    }

    /** The file's absolute path, for messages. */
    Path path() {
        return path;
    }

    /** The checks every read and write makes: a non-negative offset and, under O_DIRECT, aligned native memory. */
    void checkArguments(MemorySegment buf, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        if (!io.directIo()) {
            return;
        }
        int a = io.alignment();
        if (!buf.isNative()) {
            throw new IllegalArgumentException("O_DIRECT needs a native MemorySegment, got a heap segment of "
                    + buf.byteSize() + " bytes (" + path + ")");
        }
        if ((buf.address() & (a - 1L)) != 0) {
            throw new IllegalArgumentException("O_DIRECT buffer address 0x" + Long.toHexString(buf.address())
                    + " is not a multiple of the alignment " + a + " (" + path + ")");
        }
        if ((offset & (a - 1L)) != 0) {
            throw new IllegalArgumentException("O_DIRECT offset " + offset + " is not a multiple of the alignment "
                    + a + " (" + path + ")");
        }
        if ((buf.byteSize() & (a - 1L)) != 0) {
            throw new IllegalArgumentException("O_DIRECT length " + buf.byteSize()
                    + " is not a multiple of the alignment " + a + " (" + path + ")");
        }
    }

    /** Throws the error of an earlier failed fdatasync, if any: the file takes no more writes. */
    void failIfPoisoned() throws IOException {
        IOException earlier = syncFailure;
        if (earlier == null) {
            return;
        }
        String msg = path + ": an earlier fdatasync failed (" + earlier.getMessage()
                + "); the file must not be written or synced again, the kernel may have dropped its dirty pages";
        IOException e = earlier instanceof NativeIOException n
                ? new NativeIOException("fdatasync", path, n.errno(), msg)
                : new IOException(msg);
        e.initCause(earlier);
        throw e;
    }

    @Override
    public String toString() {
        return "PosixStoreFile[" + path + (io.directIo() ? ", O_DIRECT" : ", buffered") + "]";
    }
}
