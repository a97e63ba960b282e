package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Linux errno numbers (identical on x86-64 and aarch64) and their texts.
 *
 * <p>Why a table instead of strerror(3): strerror is not guaranteed thread-safe, and the few
 * numbers a storage engine meets are stable ABI. Unknown numbers are printed as
 * {@code errno N}, which is still searchable.
 */
final class Errno {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENFILE = 23;
    static final int EMFILE = 24;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int ESPIPE = 29;
    static final int EROFS = 30;
    static final int ENAMETOOLONG = 36;
    static final int ENOSYS = 38;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int EOPNOTSUPP = 95;
    static final int ETIMEDOUT = 110;
    static final int ESTALE = 116;
    static final int EDQUOT = 122;

    private Errno() {
    }

    /** The symbolic name, e.g. {@code ENOSPC}, or {@code errno N} if unknown. */
    static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case EXDEV -> "EXDEV";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case ESPIPE -> "ESPIPE";
            case EROFS -> "EROFS";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOSYS -> "ENOSYS";
            case ENOTEMPTY -> "ENOTEMPTY";
            case ELOOP -> "ELOOP";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case ETIMEDOUT -> "ETIMEDOUT";
            case ESTALE -> "ESTALE";
            case EDQUOT -> "EDQUOT";
            default -> "errno " + errno;
        };
    }

    /** The strerror-like text, e.g. {@code No space left on device}. */
    static String text(int errno) {
        return switch (errno) {
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case EINTR -> "Interrupted system call";
            case EIO -> "Input/output error";
            case EBADF -> "Bad file descriptor";
            case EAGAIN -> "Resource temporarily unavailable";
            case ENOMEM -> "Cannot allocate memory";
            case EACCES -> "Permission denied";
            case EBUSY -> "Device or resource busy";
            case EEXIST -> "File exists";
            case EXDEV -> "Invalid cross-device link";
            case ENOTDIR -> "Not a directory";
            case EISDIR -> "Is a directory";
            case EINVAL -> "Invalid argument";
            case ENFILE -> "Too many open files in system";
            case EMFILE -> "Too many open files";
            case EFBIG -> "File too large";
            case ENOSPC -> "No space left on device";
            case ESPIPE -> "Illegal seek";
            case EROFS -> "Read-only file system";
            case ENAMETOOLONG -> "File name too long";
            case ENOSYS -> "Function not implemented";
            case ENOTEMPTY -> "Directory not empty";
            case ELOOP -> "Too many levels of symbolic links";
            case EOPNOTSUPP -> "Operation not supported";
            case ETIMEDOUT -> "Connection timed out";
            case ESTALE -> "Stale file handle";
            case EDQUOT -> "Disk quota exceeded";
            default -> "Unknown error";
        };
    }

    /** {@code No space left on device (ENOSPC, errno 28)}. */
    static String describe(int errno) {
        String name = name(errno);
        return name.startsWith("errno ")
                ? text(errno) + " (" + name + ")"
                : text(errno) + " (" + name + ", errno " + errno + ")";
    }

    /**
     * The exception for a failed call. ENOENT and EEXIST become the JDK's file-system exceptions
     * so that callers catch the same types whichever {@link FileIO} they use; everything else is
     * a {@link NativeIOException} carrying the number.
     *
     * @param detail extra context such as offsets and lengths, or null
     */
    static IOException exception(String syscall, Path path, String detail, int errno) {
        String call = detail == null ? syscall : syscall + "(" + detail + ")";
        String reason = call + " failed: " + describe(errno);
        String file = path == null ? null : path.toString();
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(file, null, reason);
            case EEXIST -> new FileAlreadyExistsException(file, null, reason);
            default -> new NativeIOException(syscall, path, errno,
                    file == null ? reason : file + ": " + reason);
        };
    }
}
