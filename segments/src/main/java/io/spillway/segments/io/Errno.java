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

    /** A number's symbolic name and strerror-like text, e.g. {@code ENOSPC}, {@code No space left on device}. */
    private record Entry(String name, String text) {
    }

    /** The table's entry for {@code errno}, or null for a number not in it. */
    private static Entry entry(int errno) {
        return switch (errno) {
            case EPERM -> new Entry("EPERM", "Operation not permitted");
            case ENOENT -> new Entry("ENOENT", "No such file or directory");
            case EINTR -> new Entry("EINTR", "Interrupted system call");
            case EIO -> new Entry("EIO", "Input/output error");
            case EBADF -> new Entry("EBADF", "Bad file descriptor");
            case EAGAIN -> new Entry("EAGAIN", "Resource temporarily unavailable");
            case ENOMEM -> new Entry("ENOMEM", "Cannot allocate memory");
            case EACCES -> new Entry("EACCES", "Permission denied");
            case EBUSY -> new Entry("EBUSY", "Device or resource busy");
            case EEXIST -> new Entry("EEXIST", "File exists");
            case EXDEV -> new Entry("EXDEV", "Invalid cross-device link");
            case ENOTDIR -> new Entry("ENOTDIR", "Not a directory");
            case EISDIR -> new Entry("EISDIR", "Is a directory");
            case EINVAL -> new Entry("EINVAL", "Invalid argument");
            case ENFILE -> new Entry("ENFILE", "Too many open files in system");
            case EMFILE -> new Entry("EMFILE", "Too many open files");
            case EFBIG -> new Entry("EFBIG", "File too large");
            case ENOSPC -> new Entry("ENOSPC", "No space left on device");
            case ESPIPE -> new Entry("ESPIPE", "Illegal seek");
            case EROFS -> new Entry("EROFS", "Read-only file system");
            case ENAMETOOLONG -> new Entry("ENAMETOOLONG", "File name too long");
            case ENOSYS -> new Entry("ENOSYS", "Function not implemented");
            case ENOTEMPTY -> new Entry("ENOTEMPTY", "Directory not empty");
            case ELOOP -> new Entry("ELOOP", "Too many levels of symbolic links");
            case EOPNOTSUPP -> new Entry("EOPNOTSUPP", "Operation not supported");
            case ETIMEDOUT -> new Entry("ETIMEDOUT", "Connection timed out");
            case ESTALE -> new Entry("ESTALE", "Stale file handle");
            case EDQUOT -> new Entry("EDQUOT", "Disk quota exceeded");
            default -> null;
        };
    }

    /** {@code No space left on device (ENOSPC, errno 28)}, or {@code Unknown error (errno N)}. */
    static String describe(int errno) {
        Entry e = entry(errno);
        return e == null ? "Unknown error (errno " + errno + ")" : e.text() + " (" + e.name() + ", errno " + errno + ")";
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
