package io.spillway.engine;

import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** A FileIO whose directory listings come back in a random order (Lucene's MockDirectoryWrapper habit). */
final class ShuffledListingIO implements FileIO {

    private final FileIO delegate;
    private final Random random;

    private ShuffledListingIO(FileIO delegate, long seed) {
        this.delegate = delegate;
        this.random = new Random(seed);
    }

    static IoFactory factory(long seed) {
        return (dir, direct, alignment) -> new ShuffledListingIO(DirectIoProbe.forDirectory(dir, direct, alignment), seed);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>(delegate.list(dir));
        Collections.shuffle(names, random);
        return names;
    }

    @Override public boolean directIo() { return delegate.directIo(); }
    @Override public int alignment() { return delegate.alignment(); }
    @Override public StoreFile openRead(Path file) throws IOException { return delegate.openRead(file); }
    @Override public StoreFile create(Path file) throws IOException { return delegate.create(file); }
    @Override public StoreFile openWrite(Path file) throws IOException { return delegate.openWrite(file); }
    @Override public void rename(Path from, Path to) throws IOException { delegate.rename(from, to); }
    @Override public void syncDirectory(Path dir) throws IOException { delegate.syncDirectory(dir); }
    @Override public boolean delete(Path file) throws IOException { return delegate.delete(file); }
    @Override public boolean exists(Path file) throws IOException { return delegate.exists(file); }
    @Override public long allocatedBytes(Path file) throws IOException { return delegate.allocatedBytes(file); }
    @Override public void createDirectories(Path dir) throws IOException { delegate.createDirectories(dir); }
}
