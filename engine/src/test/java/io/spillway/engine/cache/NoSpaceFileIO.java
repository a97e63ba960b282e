package io.spillway.engine.cache;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.NativeIOException;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * A file layer whose files named {@code prefix...} cannot be given more than {@code limit} bytes:
 * preallocation past it fails with ENOSPC, as on a full /dev/shm. Everything else is the real
 * {@link PosixFileIO}.
 */
final class NoSpaceFileIO implements FileIO {

    /** Linux's errno for a full file system. */
    private static final int ENOSPC = 28;

    private final FileIO real = new PosixFileIO(false, 4096);
    private final String prefix;
    private final long limit;

    NoSpaceFileIO(String prefix, long limit) {
        this.prefix = prefix;
        this.limit = limit;
    }

    private StoreFile limited(StoreFile f, Path path) {
        return new StoreFile() {
            @Override
            public void write(MemorySegment src, long offset) throws IOException {
                f.write(src, offset);
            }

            @Override
            public long read(MemorySegment dst, long offset) throws IOException {
                return f.read(dst, offset);
            }

            @Override
            public void sync() throws IOException {
                f.sync();
            }

            @Override
            public boolean preallocate(long offset, long length) throws IOException {
                if (path.getFileName().toString().startsWith(prefix) && offset + length > limit) {
                    throw new NativeIOException("fallocate", path, ENOSPC, "fallocate " + path + ": No space left on device");
                }
                return f.preallocate(offset, length);
            }

            @Override
            public void truncate(long size) throws IOException {
                f.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return f.size();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public boolean directIo() {
        return false;
    }

    @Override
    public int alignment() {
        return real.alignment();
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        return real.openRead(file);
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        return limited(real.create(file), file);
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        return limited(real.openWrite(file), file);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        real.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        real.syncDirectory(dir);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return real.delete(file);
    }

    @Override
    public boolean exists(Path file) throws IOException {
        return real.exists(file);
    }

    @Override
    public long allocatedBytes(Path file) throws IOException {
        return real.allocatedBytes(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        real.createDirectories(dir);
    }
}
