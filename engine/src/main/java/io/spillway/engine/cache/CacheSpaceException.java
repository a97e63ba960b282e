package io.spillway.engine.cache;

import io.spillway.segments.io.NativeIOException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The file system under the cache (normally /dev/shm) cannot hold the arena or the index. */
public final class CacheSpaceException extends IOException {

    CacheSpaceException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code e} as a space error naming the file, the size and what is free, if it is ENOSPC or EDQUOT; else {@code e}. */
    static IOException wrapIfNoSpace(IOException e, Path file, long needed) {
        if (e instanceof NativeIOException n && n.isNoSpace()) {
            return new CacheSpaceException("no space for " + file + ": it needs " + needed + " bytes and the file system has "
                    + usable(file) + " free (" + e.getMessage() + "); lower buffer_size or free " + file.getParent(), e);
        }
        return e;
    }

    static String usable(Path file) {
        try {
            return Long.toString(Files.getFileStore(file.getParent()).getUsableSpace());
        } catch (IOException e) {
            return "an unknown number of bytes";
        }
    }
}
