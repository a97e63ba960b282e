package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * An open file of the store, read and written by absolute offset (positional IO only; there is
 * no file pointer, so one handle is safe to share between threads).
 *
 * <p>When the file was opened with {@link FileIO#directIo()} true, every buffer, offset and
 * length passed here must be a multiple of {@link FileIO#alignment()} and buffers must be native
 * memory at an aligned address; a violation is an {@link IllegalArgumentException}, never a
 * silent fallback.
 */
public interface StoreFile extends AutoCloseable {

    /** Writes all of {@code src} at {@code offset}, looping over short writes. */
    void write(MemorySegment src, long offset) throws IOException;

    /**
     * Writes the concatenation of {@code srcs} at {@code offset} (a gather write: one pwritev(2)
     * where the implementation has it, so the device sees the whole run at once). Under direct IO
     * every piece must meet the alignment rules. The default writes the pieces one by one.
     */
    default void write(List<MemorySegment> srcs, long offset) throws IOException {
        long at = offset;
        for (MemorySegment s : srcs) {
            write(s, at);
            at += s.byteSize();
        }
    }

    /**
     * Reads up to {@code dst.byteSize()} bytes at {@code offset}, looping over short reads.
     *
     * @return the bytes read; less than requested only at end of file
     */
    long read(MemorySegment dst, long offset) throws IOException;

    /**
     * fdatasync(2): makes the written data durable. A failure must not be retried by the caller
     * on the same file (the kernel may have dropped the dirty pages it failed to write).
     */
    void sync() throws IOException;

    /**
     * Reserves {@code length} bytes at {@code offset} without changing the file size
     * (fallocate(2) with FALLOC_FL_KEEP_SIZE where supported).
     *
     * @return false if the file system does not support preallocation; callers then stop asking
     */
    boolean preallocate(long offset, long length) throws IOException;

    /** Truncates or extends the file to exactly {@code size} bytes. */
    void truncate(long size) throws IOException;

    /** The file's current length in bytes. */
    long size() throws IOException;

    @Override
    void close() throws IOException;
}
