package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ForwardingFileIO;
import io.spillway.segments.io.ForwardingStoreFile;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A FileIO whose files' sync (and optionally write) fails on demand; counts sync calls and logs
 * every read. The segment tests' own double: segments cannot use testkit's faulty IO, since
 * testkit is built on segments.
 */
final class FailingSyncIO extends ForwardingFileIO {

    /** One read a file served: where, and how many bytes were asked for. */
    record Read(long offset, long length) {
    }

    final AtomicBoolean failSync = new AtomicBoolean();
    final AtomicBoolean failWrite = new AtomicBoolean();
    final AtomicInteger syncCalls = new AtomicInteger();
    final List<Read> reads = Collections.synchronizedList(new ArrayList<>());

    FailingSyncIO(FileIO delegate) {
        super(delegate);
    }

    @Override
    protected StoreFile wrap(Path file, StoreFile opened) {
        return new ForwardingStoreFile(opened) {
            @Override
            public void write(MemorySegment src, long offset) throws IOException {
                failIfAsked();
                super.write(src, offset);
            }

            @Override
            public void write(List<MemorySegment> srcs, long offset) throws IOException {
                failIfAsked(); // a gather write fails whole, as one pwritev(2) does
                super.write(srcs, offset);
            }

            @Override
            public long read(MemorySegment dst, long offset) throws IOException {
                reads.add(new Read(offset, dst.byteSize()));
                return super.read(dst, offset);
            }

            @Override
            public void sync() throws IOException {
                syncCalls.incrementAndGet();
                if (failSync.get()) {
                    throw new IOException("injected fdatasync failure (EIO)");
                }
                super.sync();
            }
        };
    }

    private void failIfAsked() throws IOException {
        if (failWrite.get()) {
            throw new IOException("injected pwrite failure (EIO)");
        }
    }
}
