package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A failed system call, with the {@code errno} the kernel returned.
 *
 * <p>Why a dedicated type: the engine reacts differently to a full disk (stop dumping, let the
 * GC make room) than to a media error (fail the segment, never retry its fsync). Parsing
 * messages for that would be fragile, so the number travels with the exception.
 *
 * <p>{@code ENOENT} and {@code EEXIST} are not reported with this type but as the JDK's
 * {@link java.nio.file.NoSuchFileException} and {@link java.nio.file.FileAlreadyExistsException},
 * so callers can use the same catch clauses for both {@link FileIO} implementations.
 */
public class NativeIOException extends IOException {

    private final String syscall;
    private final Path path;
    private final int errno;

    /**
     * @param syscall the failed call, e.g. {@code "pwrite"}
     * @param path    the file it was applied to, or null if none
     * @param errno   the kernel's error number
     * @param message the full message (should name the call, the path and the error)
     */
    public NativeIOException(String syscall, Path path, int errno, String message) {
        super(message);
        this.syscall = syscall;
        this.path = path;
        this.errno = errno;
    }

    /** The kernel's error number (Linux numbering). */
    public int errno() {
        return errno;
    }

    /** The system call that failed. */
    public String syscall() {
        return syscall;
    }

    /** The file the call was applied to, or null. */
    public Path path() {
        return path;
    }

    /** Whether the file system is full or the quota exhausted (ENOSPC or EDQUOT). */
    public boolean isNoSpace() {
        return errno == Errno.ENOSPC || errno == Errno.EDQUOT;
    }
}
