package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A {@link StoreFile} that passes every call to another one: the file-level half of
 * {@link ForwardingFileIO}.
 *
 * <p>The gather write {@link #write(List, long)} is forwarded too, so a decorated file still
 * reaches the device as one pwritev(2). A decorator that intercepts
 * {@link #write(MemorySegment, long)} must therefore decide what a gather write does as well
 * (intercept it whole, or override it to go piece by piece through its own single write).
 */
public abstract class ForwardingStoreFile implements StoreFile {

    private final StoreFile delegate;

    protected ForwardingStoreFile(StoreFile delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The handle every call goes to. */
    protected final StoreFile delegate() {
        return delegate;
    }

    @Override
    public void write(MemorySegment src, long offset) throws IOException {
        delegate.write(src, offset);
    }

    @Override
    public void write(List<MemorySegment> srcs, long offset) throws IOException {
        delegate.write(srcs, offset);
    }

    @Override
    public long read(MemorySegment dst, long offset) throws IOException {
        return delegate.read(dst, offset);
    }

    @Override
    public void sync() throws IOException {
        delegate.sync();
    }

    @Override
    public boolean preallocate(long offset, long length) throws IOException {
        return delegate.preallocate(offset, length);
    }

    @Override
    public void truncate(long size) throws IOException {
        delegate.truncate(size);
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
