package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A {@link FileIO} that passes every call to another one: the base of decorators that change a
 * few calls and forward the rest (fault injection and shuffled listings in tests, or a wrapper
 * that counts or traces IO). RocksDB's {@code FileSystemWrapper} and Lucene's
 * {@code FilterDirectory} play the same part under their fault-injecting test file systems.
 *
 * <p>The files it opens pass through {@link #wrap(Path, StoreFile)}, which returns them as they
 * are; a decorator that changes file IO overrides it and returns a {@link ForwardingStoreFile}.
 */
public abstract class ForwardingFileIO implements FileIO {

    private final FileIO delegate;

    protected ForwardingFileIO(FileIO delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The implementation every call goes to. */
    protected final FileIO delegate() {
        return delegate;
    }

    /**
     * Called with every file the delegate opened or created, before it reaches the caller.
     *
     * @param file the path it was opened at
     * @param opened the delegate's handle
     * @return the handle the caller gets
     */
    protected StoreFile wrap(Path file, StoreFile opened) throws IOException {
        return opened;
    }

    @Override
    public boolean directIo() {
        return delegate.directIo();
    }

    @Override
    public int alignment() {
        return delegate.alignment();
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        return wrap(file, delegate.openRead(file));
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        return wrap(file, delegate.create(file));
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        return wrap(file, delegate.openWrite(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        delegate.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        delegate.syncDirectory(dir);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        return delegate.list(dir);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return delegate.delete(file);
    }

    @Override
    public boolean exists(Path file) throws IOException {
        return delegate.exists(file);
    }

    @Override
    public boolean isRegularFile(Path file) throws IOException {
        return delegate.isRegularFile(file);
    }

    @Override
    public long allocatedBytes(Path file) throws IOException {
        return delegate.allocatedBytes(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        delegate.createDirectories(dir);
    }
}
