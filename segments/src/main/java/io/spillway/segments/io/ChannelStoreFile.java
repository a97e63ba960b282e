package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A file opened by {@link ChannelFileIO}: positional {@link FileChannel} IO on views of the
 * caller's segment.
 *
 * <p>Segments are viewed as ByteBuffers in slices of at most {@value #MAX_SLICE} bytes (a
 * ByteBuffer cannot exceed 2 GiB). A heap segment backed by something other than
 * {@code byte[]} has no ByteBuffer view and is copied through a small heap buffer.
 *
 * <p>As in {@link PosixStoreFile}, a failed sync poisons the file for further writes and syncs.
 */
final class ChannelStoreFile implements StoreFile {

    static final int MAX_SLICE = 1 << 30;
    private static final int COPY_CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private volatile IOException syncFailure;

    ChannelStoreFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    @Override
    public void write(MemorySegment src, long offset) throws IOException {
        checkOffset(offset);
        failIfPoisoned();
        for (long done = 0; done < src.byteSize(); ) {
            long n = Math.min(src.byteSize() - done, MAX_SLICE);
            MemorySegment slice = src.asSlice(done, n);
            ByteBuffer bb = view(slice);
            if (bb == null) {
                writeCopied(slice, offset + done);
            } else {
                writeFully(bb, offset + done);
            }
            done += n;
        }
    }

    private void writeCopied(MemorySegment slice, long offset) throws IOException {
        byte[] tmp = new byte[(int) Math.min(COPY_CHUNK, slice.byteSize())];
        for (long done = 0; done < slice.byteSize(); ) {
            int n = (int) Math.min(tmp.length, slice.byteSize() - done);
            MemorySegment.copy(slice, ValueLayout.JAVA_BYTE, done, tmp, 0, n);
            writeFully(ByteBuffer.wrap(tmp, 0, n), offset + done);
            done += n;
        }
    }

    private void writeFully(ByteBuffer bb, long offset) throws IOException {
        long pos = offset;
        while (bb.hasRemaining()) {
            pos += channel.write(bb, pos);
        }
    }

    @Override
    public long read(MemorySegment dst, long offset) throws IOException {
        checkOffset(offset);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only segment: " + dst);
        }
        long done = 0;
        while (done < dst.byteSize()) {
            long want = Math.min(dst.byteSize() - done, MAX_SLICE);
            MemorySegment slice = dst.asSlice(done, want);
            ByteBuffer bb = view(slice);
            long n = bb == null ? readCopied(slice, offset + done) : readFully(bb, offset + done);
            done += n;
            if (n < want) {
                break;
            }
        }
        return done;
    }

    private long readCopied(MemorySegment slice, long offset) throws IOException {
        byte[] tmp = new byte[(int) Math.min(COPY_CHUNK, slice.byteSize())];
        long done = 0;
        while (done < slice.byteSize()) {
            int want = (int) Math.min(tmp.length, slice.byteSize() - done);
            int n = (int) readFully(ByteBuffer.wrap(tmp, 0, want), offset + done);
            MemorySegment.copy(tmp, 0, slice, ValueLayout.JAVA_BYTE, done, n);
            done += n;
            if (n < want) {
                break;
            }
        }
        return done;
    }

    private long readFully(ByteBuffer bb, long offset) throws IOException {
        int start = bb.position();
        while (bb.hasRemaining()) {
            int n = channel.read(bb, offset + bb.position() - start);
            if (n < 0) {
                break;
            }
        }
        return bb.position() - start;
    }

    /** A ByteBuffer view, or null for heap segments not backed by {@code byte[]}. */
    private static ByteBuffer view(MemorySegment slice) {
        try {
            return slice.asByteBuffer();
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /** {@code force(false)}: fdatasync on Linux. Not to be retried after a failure. */
    @Override
    public void sync() throws IOException {
        failIfPoisoned();
        try {
            channel.force(false);
        } catch (IOException e) {
            syncFailure = e;
            throw e;
        }
    }

    /** Always false: FileChannel cannot reserve space without changing the length. */
    @Override
    public boolean preallocate(long offset, long length) {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("preallocate needs offset >= 0 and length > 0, got offset "
                    + offset + ", length " + length);
        }
        return false;
    }

    /**
     * {@link FileChannel#truncate} only shrinks, so a larger size is reached by writing one zero
     * byte at {@code size - 1} (the gap reads as zeros, as after ftruncate).
     */
    @Override
    public void truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, got " + size);
        }
        long current = channel.size();
        if (size < current) {
            channel.truncate(size);
        } else if (size > current) {
            writeFully(ByteBuffer.allocate(1), size - 1);
        }
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void checkOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
    }

    private void failIfPoisoned() throws IOException {
        IOException earlier = syncFailure;
        if (earlier != null) {
            throw new IOException(path + ": an earlier sync failed (" + earlier.getMessage()
                    + "); the file must not be written or synced again", earlier);
        }
    }

    @Override
    public String toString() {
        return "ChannelStoreFile[" + path + "]";
    }
}
