package io.spillway.segments.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Portable, buffered {@link FileIO} on {@link FileChannel}: the fallback where
 * {@link PosixFileIO} cannot be used (not Linux, or libc cannot be bound).
 *
 * <p>What it gives up, and why that is safe: no O_DIRECT (data goes through the page cache and
 * is made durable with {@code force(false)}, i.e. fdatasync); no preallocation
 * ({@link StoreFile#preallocate} returns false, so callers stop asking); {@link #allocatedBytes}
 * reports the file's length, as the JDK exposes no block count. Errors carry no errno, so a
 * full disk is not recognisable as {@link NativeIOException#isNoSpace()}.
 *
 * <p>Caveat: a {@code FileChannel} is closed for all its users when a thread blocked in it is
 * interrupted; the IO scheduler must not interrupt IO threads when this implementation is used.
 */
public final class ChannelFileIO extends LocalFileIO {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelFileIO.class);

    /** @param alignment the store's record alignment (kept for the format; no IO constraint here) */
    public ChannelFileIO(int alignment) {
        super(alignment);
    }

    @Override
    public boolean directIo() {
        return false;
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        return new ChannelStoreFile(file, FileChannel.open(file, StandardOpenOption.READ));
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        return new ChannelStoreFile(file, FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        return new ChannelStoreFile(file, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    /** {@code ATOMIC_MOVE}: rename(2) on POSIX, which replaces an existing target. */
    @Override
    public void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Forces the directory through a read channel. Some platforms (Windows) refuse to open a
     * directory at all; there the rename is as durable as the OS makes it and we carry on. A
     * failure of the force itself is real and is thrown.
     */
    @Override
    public void syncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            LOG.debug("cannot open directory {} to fsync it on this platform: {}", dir, e.toString());
            return;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** The file's length: the JDK exposes no {@code st_blocks}. */
    @Override
    public long allocatedBytes(Path file) throws IOException {
        return Files.size(file);
    }

    @Override
    public String toString() {
        return "ChannelFileIO[buffered, alignment " + alignment() + "]";
    }
}
