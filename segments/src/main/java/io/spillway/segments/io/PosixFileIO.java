package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FileIO} on Linux syscalls through the FFM API, with or without O_DIRECT.
 *
 * <p>Why not only {@link ChannelFileIO}: direct IO keeps offloaded KV blocks (written once, read
 * rarely) out of the page cache the inference server needs, preallocation with
 * FALLOC_FL_KEEP_SIZE keeps segments contiguous without changing their length, and errno tells a
 * full disk from a failing one. See {@link LinuxSyscalls} for the bindings.
 *
 * <p>Whether a directory accepts O_DIRECT is decided by {@link DirectIoProbe}, not here: this
 * class does what it is told and reports the kernel's answer.
 *
 * <p>Files are opened with O_CLOEXEC so that child processes (the CLI's helpers, test
 * harnesses) never inherit store descriptors. New files get mode 0666 less the umask, as with
 * the JDK's own file creation.
 *
 * <p>Preallocation follows BookKeeper's direct entry logger: the first EOPNOTSUPP or ENOSYS from
 * {@code fallocate} turns it off for this instance, so a file system without it costs one failed
 * call, not one per segment.
 */
public final class PosixFileIO extends LocalFileIO {

    private static final Logger LOG = LoggerFactory.getLogger(PosixFileIO.class);
    private static final int CREATE_MODE = 0666;
    /** The smallest logical block size of any block device; O_DIRECT cannot work below it. */
    static final int MIN_DIRECT_ALIGNMENT = 512;

    private final boolean direct;
    private volatile boolean fallocateDisabled;

    /**
     * @param direct    open files with O_DIRECT
     * @param alignment the alignment of buffers, offsets and lengths: a power of two, at least
     *                  512 when {@code direct}
     * @throws UnsupportedOperationException if not on Linux x86-64/aarch64 or libc cannot be bound
     *                                       (check {@link #isSupported()} first)
     */
    public PosixFileIO(boolean direct, int alignment) {
        unsupportedReason().ifPresent(why -> {
            throw new UnsupportedOperationException("PosixFileIO unavailable: " + why);
        });
        super(alignment);
        if (direct && alignment < MIN_DIRECT_ALIGNMENT) {
            throw new IllegalArgumentException(
                    "direct IO alignment must be at least " + MIN_DIRECT_ALIGNMENT + ", got " + alignment);
        }
        this.direct = direct;
    }

    /** Whether this platform can use PosixFileIO. */
    public static boolean isSupported() {
        return unsupportedReason().isEmpty();
    }

    /** Why this platform cannot use PosixFileIO, if it cannot. */
    public static Optional<String> unsupportedReason() {
        return LinuxSyscalls.unavailableReason();
    }

    @Override
    public boolean directIo() {
        return direct;
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        return open(file, LinuxSyscalls.O_RDONLY, 0);
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        return open(file, LinuxSyscalls.O_WRONLY | LinuxSyscalls.O_CREAT | LinuxSyscalls.O_EXCL, CREATE_MODE);
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        return open(file, LinuxSyscalls.O_RDWR, 0);
    }

    private StoreFile open(Path file, int flags, int mode) throws IOException {
        Path abs = file.toAbsolutePath();
        int all = flags | LinuxSyscalls.O_CLOEXEC | (direct ? LinuxSyscalls.O_DIRECT : 0);
        int fd = LinuxSyscalls.open(abs, all, mode);
        return new PosixStoreFile(this, abs, new NativeFd(fd, abs));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        LinuxSyscalls.rename(from.toAbsolutePath(), to.toAbsolutePath());
    }

    /** open(dir, O_RDONLY|O_DIRECTORY) then fsync(2): the only way to make a rename durable. */
    @Override
    public void syncDirectory(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        int fd = LinuxSyscalls.open(abs, LinuxSyscalls.O_RDONLY | LinuxSyscalls.O_DIRECTORY | LinuxSyscalls.O_CLOEXEC, 0);
        IOException failure = null;
        try {
            LinuxSyscalls.fsync(fd, abs);
        } catch (IOException e) {
            failure = e;
        }
        try {
            LinuxSyscalls.close(fd, abs);
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** stat(2) {@code st_blocks * 512}; the file's length where libc exports no {@code stat}. */
    @Override
    public long allocatedBytes(Path file) throws IOException {
        return LinuxSyscalls.hasStat() ? LinuxSyscalls.allocatedBytes(file.toAbsolutePath()) : Files.size(file);
    }

    boolean fallocateEnabled() {
        return !fallocateDisabled;
    }

    void disableFallocate(Path file, NativeIOException cause) {
        if (!fallocateDisabled) {
            fallocateDisabled = true;
            LOG.info("fallocate is not supported for {} ({}); preallocation disabled for this store",
                    file, cause.getMessage());
        }
    }

    @Override
    public String toString() {
        return "PosixFileIO[" + (direct ? "O_DIRECT" : "buffered") + ", alignment " + alignment() + "]";
    }
}
