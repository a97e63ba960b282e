package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The store's only door to the file system. Everything the segment layer does to disk goes
 * through here, so tests can substitute a fault-injecting or power-loss-simulating
 * implementation.
 *
 * <p>Implementations: {@link PosixFileIO} (FFM syscalls, O_DIRECT when asked) and
 * {@link ChannelFileIO} (portable, buffered, {@code FileChannel}).
 */
public interface FileIO {

    /** Whether files opened through this instance bypass the page cache (O_DIRECT). */
    boolean directIo();

    /** The alignment that offsets, lengths and buffer addresses must respect for direct IO. */
    int alignment();

    /** Opens an existing file for reading. */
    StoreFile openRead(Path file) throws IOException;

    /**
     * Creates a new file for writing; fails with {@link java.nio.file.FileAlreadyExistsException}
     * if it exists. The file is not durable in its directory until {@link #syncDirectory}.
     */
    StoreFile create(Path file) throws IOException;

    /** Opens an existing file for reading and writing (recovery truncates torn tails with it). */
    StoreFile openWrite(Path file) throws IOException;

    /** rename(2): atomic, replacing {@code to} if it exists. Durable after {@link #syncDirectory}. */
    void rename(Path from, Path to) throws IOException;

    /** fsync(2) on the directory: makes creates, renames and deletes in it durable. */
    void syncDirectory(Path dir) throws IOException;

    /** Names (not paths) of the entries of {@code dir}, in no particular order. */
    List<String> list(Path dir) throws IOException;

    /** Deletes the file; returns false if it did not exist. */
    boolean delete(Path file) throws IOException;

    /** Whether the file exists. */
    boolean exists(Path file) throws IOException;

    /**
     * Whether {@code file} is a regular file, following symbolic links: false for a directory, a
     * dangling link, a FIFO, a socket or a device. A segment name that is not a regular file must
     * never be opened as a segment: reading a directory fails forever, and opening a FIFO blocks
     * until some writer appears.
     */
    default boolean isRegularFile(Path file) throws IOException {
        return Files.isRegularFile(file);
    }

    /** Space actually allocated to the file on disk (st_blocks * 512), not its length. */
    long allocatedBytes(Path file) throws IOException;

    /** Creates the directory and any missing parents. */
    void createDirectories(Path dir) throws IOException;
}
