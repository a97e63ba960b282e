package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.spillway.segments.io.ErrnoCapture.Downcall;
import io.spillway.segments.io.ErrnoCapture.OnEintr;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The libc calls behind {@link PosixFileIO}, bound once through the FFM API.
 *
 * <p>Why FFM and not {@code FileChannel} (with {@code ExtendedOpenOption.DIRECT}): the JDK
 * cannot preallocate with FALLOC_FL_KEEP_SIZE or report {@code st_blocks}, it hides errno (the
 * engine must tell ENOSPC from EIO), and a {@code FileChannel} closes itself for every thread
 * when one thread using it is interrupted. Calling libc directly gives the store exact
 * syscalls and exact errors.
 *
 * <p>Every wrapper retries on EINTR (the call did nothing) and otherwise turns a failure into
 * {@link Errno#exception}, whose message names the call and the path. {@code close} is the
 * exception: on Linux the descriptor is gone even when close reports EINTR, so it is never
 * retried. {@link ErrnoCapture} captures errno and holds each call's C arguments.
 *
 * <p>Only Linux on x86-64 and aarch64 is supported; the open(2) flags and the {@code struct
 * stat} offsets below are those of these two ABIs.
 */
final class LinuxSyscalls {

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_CLOEXEC = 0x80000;
    /** 040000 on x86-64, 0200000 on aarch64. */
    static final int O_DIRECT;
    /** 0200000 on x86-64, 040000 on aarch64. */
    static final int O_DIRECTORY;

    static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int SEEK_END = 2;

    /** sizeof(struct stat) is 144 on x86-64 and 128 on aarch64; room for either. */
    private static final long STAT_SIZE = 256;
    /** st_size and st_blocks sit at the same offsets in both ABIs. */
    private static final long ST_SIZE_OFFSET = 48;
    private static final long ST_BLOCKS_OFFSET = 64;

    private static final String ARCH = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);

    static {
        boolean arm = ARCH.equals("aarch64");
        O_DIRECT = arm ? 0x10000 : 0x4000;
        O_DIRECTORY = arm ? 0x4000 : 0x10000;
    }

    /** The bound functions; a record so the JIT trusts its fields as constants. */
    private record Handles(
            MethodHandle open,
            MethodHandle close,
            MethodHandle pread,
            MethodHandle pwrite,
            MethodHandle pwritev,
            MethodHandle fdatasync,
            MethodHandle fsync,
            MethodHandle fallocate,
            MethodHandle ftruncate,
            MethodHandle lseek,
            MethodHandle rename,
            MethodHandle stat) { // null before glibc 2.33, which exported only __xstat
    }

    private static final NativeBinding<Handles> BINDING = NativeBinding.of(platformProblem(), "libc", LinuxSyscalls::bind);
    private static final Handles H = BINDING.handles();

    private LinuxSyscalls() {
    }

    /** Empty if the syscalls are usable here, otherwise why not. */
    static Optional<String> unavailableReason() {
        return BINDING.unavailableReason();
    }

    /** Whether {@code stat(2)} is bound, so {@link #allocatedBytes} reports real blocks. */
    static boolean hasStat() {
        return H != null && H.stat != null;
    }

    private static String platformProblem() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "not Linux (os.name=" + os + ")";
        }
        if (!ARCH.equals("amd64") && !ARCH.equals("x86_64") && !ARCH.equals("aarch64")) {
            return "unsupported CPU architecture " + ARCH + " (flags and struct stat known only for x86-64, aarch64)";
        }
        return null;
    }

    private static Handles bind() {
        Linker linker = Linker.nativeLinker();
        return new Handles(
                // open is variadic: the mode is the first variadic argument.
                ErrnoCapture.bind(linker, "open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                        Linker.Option.firstVariadicArg(2)),
                ErrnoCapture.bind(linker, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT)),
                ErrnoCapture.bind(linker, "pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG)),
                ErrnoCapture.bind(linker, "pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG)),
                ErrnoCapture.bind(linker, "pwritev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG)),
                ErrnoCapture.bind(linker, "fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT)),
                ErrnoCapture.bind(linker, "fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT)),
                ErrnoCapture.bind(linker, "fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
                ErrnoCapture.bind(linker, "ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG)),
                ErrnoCapture.bind(linker, "lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT)),
                ErrnoCapture.bind(linker, "rename", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
                ErrnoCapture.bindIfPresent(linker, "stat", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)).orElse(null));
    }

    private static Handles h() {
        return BINDING.get("POSIX IO");
    }

    /**
     * {@link ErrnoCapture#invoke}, once the handles are known to be bound (downcalls name
     * {@code H}'s handles directly, a constant the JIT folds).
     */
    private static long invoke(String name, Path path, Supplier<String> detail, OnEintr onEintr, Downcall call)
            throws IOException {
        h(); // throws where the bindings are unavailable, before any downcall reads H
        return ErrnoCapture.invoke(name, path, detail, onEintr, call);
    }

    /** open(2); returns the descriptor. */
    static int open(Path path, int flags, int mode) throws IOException {
        return (int) invoke("open", path, () -> flagsText(flags), OnEintr.RETRY,
                (arena, state) -> (int) H.open.invokeExact(state, arena.allocateFrom(path.toString()), flags, mode));
    }

    /** close(2); never retried, the descriptor is released even on error. */
    static void close(int fd, Path path) throws IOException {
        invoke("close", path, () -> null, OnEintr.SUCCEED, (arena, state) -> (int) H.close.invokeExact(state, fd));
    }

    /**
     * One pread(2) of {@code buf.byteSize()} bytes (a native segment); returns the count read,
     * 0 at end of file. Retries EINTR; does not loop over short reads.
     */
    static long pread(int fd, MemorySegment buf, long offset, Path path) throws IOException {
        return positional(h().pread, "pread", fd, buf, offset, path);
    }

    /** One pwrite(2) of a native segment; returns the count written. Retries EINTR only. */
    static long pwrite(int fd, MemorySegment buf, long offset, Path path) throws IOException {
        return positional(h().pwrite, "pwrite", fd, buf, offset, path);
    }

    /** The most iovecs one pwritev(2) takes (IOV_MAX on Linux). */
    static final int IOV_MAX = 1024;

    /**
     * One pwritev(2) of up to {@link #IOV_MAX} native segments; returns the count written.
     * Retries EINTR only; does not loop over short writes.
     */
    static long pwritev(int fd, List<MemorySegment> bufs, long offset, Path path) throws IOException {
        if (bufs.isEmpty() || bufs.size() > IOV_MAX) {
            throw new IllegalArgumentException("pwritev takes 1 to " + IOV_MAX + " buffers, got " + bufs.size());
        }
        return invoke("pwritev", path, () -> "offset " + offset + ", " + bufs.stream().mapToLong(MemorySegment::byteSize).sum()
                + " bytes in " + bufs.size() + " buffers", OnEintr.RETRY, (arena, state) -> {
                    MemorySegment iov = arena.allocate(16L * bufs.size(), 8);
                    for (int i = 0; i < bufs.size(); i++) {
                        iov.set(JAVA_LONG, 16L * i, bufs.get(i).address());
                        iov.set(JAVA_LONG, 16L * i + 8, bufs.get(i).byteSize());
                    }
                    return (long) H.pwritev.invokeExact(state, fd, iov, bufs.size(), offset);
                });
    }

    private static long positional(MethodHandle mh, String name, int fd, MemorySegment buf, long offset, Path path)
            throws IOException {
        return invoke(name, path, () -> "offset " + offset + ", " + buf.byteSize() + " bytes, buffer 0x"
                + Long.toHexString(buf.address()), OnEintr.RETRY,
                (arena, state) -> (long) mh.invokeExact(state, fd, buf, buf.byteSize(), offset));
    }

    /** fdatasync(2). The caller must not retry a failure (see {@link StoreFile#sync()}). */
    static void fdatasync(int fd, Path path) throws IOException {
        invoke("fdatasync", path, () -> null, OnEintr.RETRY, (arena, state) -> (int) H.fdatasync.invokeExact(state, fd));
    }

    /** fsync(2); used on directories, where fdatasync's metadata shortcut does not apply. */
    static void fsync(int fd, Path path) throws IOException {
        invoke("fsync", path, () -> null, OnEintr.RETRY, (arena, state) -> (int) H.fsync.invokeExact(state, fd));
    }

    /** fallocate(2); a {@link NativeIOException} carries EOPNOTSUPP/ENOSYS for the caller to judge. */
    static void fallocate(int fd, int mode, long offset, long length, Path path) throws IOException {
        invoke("fallocate", path, () -> "mode " + mode + ", offset " + offset + ", length " + length, OnEintr.RETRY,
                (arena, state) -> (int) H.fallocate.invokeExact(state, fd, mode, offset, length));
    }

    /** ftruncate(2). */
    static void ftruncate(int fd, long size, Path path) throws IOException {
        invoke("ftruncate", path, () -> "size " + size, OnEintr.RETRY,
                (arena, state) -> (int) H.ftruncate.invokeExact(state, fd, size));
    }

    /**
     * The file's length, by lseek(fd, 0, SEEK_END). Safe with positional IO: the store never
     * uses the file offset, so moving it changes nothing.
     */
    static long size(int fd, Path path) throws IOException {
        return invoke("lseek", path, () -> "0, SEEK_END", OnEintr.FAIL,
                (arena, state) -> (long) H.lseek.invokeExact(state, fd, 0L, SEEK_END));
    }

    /** rename(2): atomic, replaces {@code to}. */
    static void rename(Path from, Path to) throws IOException {
        invoke("rename", from, () -> "to " + to, OnEintr.FAIL, (arena, state) -> (int) H.rename.invokeExact(state,
                arena.allocateFrom(from.toString()), arena.allocateFrom(to.toString())));
    }

    /** stat(2) {@code st_blocks * 512}; requires {@link #hasStat()}. */
    static long allocatedBytes(Path path) throws IOException {
        return statField(path, ST_BLOCKS_OFFSET) * 512L;
    }

    /**
     * stat(2) {@code st_size}. The store uses lseek for sizes; tests compare this with the JDK's
     * size to check the {@code struct stat} offsets that {@link #allocatedBytes} relies on.
     */
    static long statSize(Path path) throws IOException {
        return statField(path, ST_SIZE_OFFSET);
    }

    /** One non-negative {@code long} field of {@code struct stat}, at {@code offset}. */
    private static long statField(Path path, long offset) throws IOException {
        if (h().stat == null) {
            throw new UnsupportedOperationException("libc exports no stat symbol (glibc < 2.33)");
        }
        return invoke("stat", path, () -> null, OnEintr.FAIL, (arena, state) -> {
            MemorySegment buf = arena.allocate(STAT_SIZE, 8);
            int rc = (int) H.stat.invokeExact(state, arena.allocateFrom(path.toString()), buf);
            // st_size and st_blocks are never negative, so the field can stand for the result.
            return rc < 0 ? rc : buf.get(JAVA_LONG, offset);
        });
    }

    /** For messages: the open flags by name, e.g. {@code O_WRONLY|O_CREAT|O_EXCL|O_DIRECT}. */
    static String flagsText(int flags) {
        StringBuilder sb = new StringBuilder();
        int access = flags & 3;
        sb.append(access == O_WRONLY ? "O_WRONLY" : access == O_RDWR ? "O_RDWR" : "O_RDONLY");
        if ((flags & O_CREAT) != 0) {
            sb.append("|O_CREAT");
        }
        if ((flags & O_EXCL) != 0) {
            sb.append("|O_EXCL");
        }
        if ((flags & O_DIRECT) != 0) {
            sb.append("|O_DIRECT");
        }
        if ((flags & O_DIRECTORY) != 0) {
            sb.append("|O_DIRECTORY");
        }
        if ((flags & O_CLOEXEC) != 0) {
            sb.append("|O_CLOEXEC");
        }
        return sb.toString();
    }
}
