package io.spillway.engine.cache;

import io.spillway.segments.io.ForwardingFileIO;
import io.spillway.segments.io.ForwardingStoreFile;
import io.spillway.segments.io.NativeIOException;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A file layer whose files named {@code prefix...} cannot be given more than {@code limit} bytes:
 * preallocation past it fails with ENOSPC, as on a full /dev/shm. Everything else is the real
 * {@link PosixFileIO}.
 */
final class NoSpaceFileIO extends ForwardingFileIO {

    /** Linux's errno for a full file system. */
    private static final int ENOSPC = 28;

    private final String prefix;
    private final long limit;

    NoSpaceFileIO(String prefix, long limit) {
        super(new PosixFileIO(false, 4096));
        this.prefix = prefix;
        this.limit = limit;
    }

    @Override
    protected StoreFile wrap(Path path, StoreFile opened) {
        if (!path.getFileName().toString().startsWith(prefix)) {
            return opened;
        }
        return new ForwardingStoreFile(opened) {
            @Override
            public boolean preallocate(long offset, long length) throws IOException {
                if (offset + length > limit) {
                    throw new NativeIOException("fallocate", path, ENOSPC, "fallocate " + path + ": No space left on device");
                }
                return super.preallocate(offset, length);
            }
        };
    }
}
