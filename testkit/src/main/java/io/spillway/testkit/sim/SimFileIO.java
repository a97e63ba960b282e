package io.spillway.testkit.sim;

import io.spillway.testkit.sim.FaultPlan.Call;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The segments IO interface over a {@link SimDisk}: buffered (never O_DIRECT), every call
 * counted and checked against the disk's {@link FaultPlan} first.
 *
 * <p>Handles remember the disk generation they were opened in; after a power cut or reboot they
 * fail, as a file descriptor of a dead process would. Listings can be shuffled (Lucene's
 * ShuffleFS) so no code may depend on directory order.
 */
public final class SimFileIO implements FileIO {

    private final SimDisk disk;
    private final int alignment;
    private final Random shuffle;

    /**
     * @param shuffleSeed shuffles every listing from this seed; null keeps them sorted
     */
    public SimFileIO(SimDisk disk, int alignment, Long shuffleSeed) {
        this.disk = disk;
        this.alignment = alignment;
        this.shuffle = shuffleSeed == null ? null : new Random(shuffleSeed);
    }

    private void check(Call call, Object what) throws IOException {
        disk.faults().check(call, String.valueOf(what));
    }

    @Override
    public boolean directIo() {
        return false;
    }

    @Override
    public int alignment() {
        return alignment;
    }

    private Inode existing(Path file) throws IOException {
        Inode i = disk.lookup(file);
        if (i == null) {
            throw new NoSuchFileException(file.toString());
        }
        return i;
    }

    @Override
    public StoreFile openRead(Path file) throws IOException {
        check(Call.OPEN, file.getFileName());
        return new Handle(file, existing(file), false);
    }

    @Override
    public StoreFile create(Path file) throws IOException {
        check(Call.CREATE, file.getFileName());
        return new Handle(file, disk.create(file), true);
    }

    @Override
    public StoreFile openWrite(Path file) throws IOException {
        check(Call.OPEN, file.getFileName());
        return new Handle(file, existing(file), true);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        check(Call.RENAME, from.getFileName() + " -> " + to.getFileName());
        disk.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        check(Call.SYNC_DIR, dir.getFileName());
        disk.syncDir(dir);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        check(Call.LIST, dir.getFileName());
        List<String> names = disk.list(dir);
        if (shuffle != null) {
            synchronized (shuffle) {
                Collections.shuffle(names, shuffle);
            }
        }
        return names;
    }

    @Override
    public boolean delete(Path file) throws IOException {
        check(Call.DELETE, file.getFileName());
        return disk.delete(file);
    }

    @Override
    public boolean exists(Path file) throws IOException {
        check(Call.EXISTS, file.getFileName());
        return disk.lookup(file) != null;
    }

    /** The simulated disk holds regular files only. Not a fault point: it never fails, so seeded schedules stay as they were. */
    @Override
    public boolean isRegularFile(Path file) {
        return disk.lookup(file) != null;
    }

    @Override
    public long allocatedBytes(Path file) throws IOException {
        check(Call.STAT, file.getFileName());
        return disk.allocated(existing(file));
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        check(Call.MKDIR, dir.getFileName());
        disk.mkdirs(dir);
    }

    /** An open file: positional IO on one inode, valid for one disk generation. */
    private final class Handle implements StoreFile {
        private final Path path;
        private final Inode inode;
        private final boolean writable;
        private final int generation;
        private volatile boolean closed;

        Handle(Path path, Inode inode, boolean writable) {
            this.path = path;
            this.inode = inode;
            this.writable = writable;
            this.generation = disk.generation();
        }

        private void live(Call call, Object what) throws IOException {
            if (closed) {
                throw new IOException("simulated: " + path.getFileName() + " is closed");
            }
            check(call, path.getFileName() + " " + what);
            if (disk.generation() != generation) {
                throw new IOException("simulated: handle of " + path.getFileName() + " died with the power");
            }
        }

        @Override
        public void write(MemorySegment src, long offset) throws IOException {
            live(Call.WRITE, "@" + offset + "+" + src.byteSize());
            if (!writable) {
                throw new IOException("simulated EBADF: " + path.getFileName() + " is open read-only");
            }
            disk.write(inode, src.toArray(ValueLayout.JAVA_BYTE), offset);
        }

        @Override
        public void write(List<MemorySegment> srcs, long offset) throws IOException {
            // One pwritev is one call: it succeeds or fails as a whole here.
            long total = 0;
            for (MemorySegment s : srcs) {
                total += s.byteSize();
            }
            live(Call.WRITE, "@" + offset + "+" + total + " (" + srcs.size() + " pieces)");
            if (!writable) {
                throw new IOException("simulated EBADF: " + path.getFileName() + " is open read-only");
            }
            byte[] all = new byte[Math.toIntExact(total)];
            int at = 0;
            for (MemorySegment s : srcs) {
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, all, at, (int) s.byteSize());
                at += (int) s.byteSize();
            }
            disk.write(inode, all, offset);
        }

        @Override
        public long read(MemorySegment dst, long offset) throws IOException {
            live(Call.READ, "@" + offset + "+" + dst.byteSize());
            byte[] buf = new byte[Math.toIntExact(dst.byteSize())];
            int n = disk.read(inode, buf, offset);
            MemorySegment.copy(buf, 0, dst, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }

        @Override
        public void sync() throws IOException {
            try {
                live(Call.SYNC, "");
            } catch (IOException e) {
                if (disk.generation() == generation) {
                    disk.failSync(inode);
                }
                throw e;
            }
            disk.sync(inode, path.getFileName().toString());
        }

        @Override
        public boolean preallocate(long offset, long length) throws IOException {
            live(Call.PREALLOCATE, "@" + offset + "+" + length);
            disk.preallocate(inode, offset, length);
            return true;
        }

        @Override
        public void truncate(long size) throws IOException {
            live(Call.TRUNCATE, size);
            disk.truncate(inode, size);
        }

        @Override
        public long size() throws IOException {
            live(Call.SIZE, "");
            return disk.size(inode);
        }

        @Override
        public void close() throws IOException {
            // Never fails: close(2)'s errors are not reported by this layer's real implementations
            // either, and a failing close would only test the test.
            closed = true;
        }
    }

    /** A list helper for tests: the names of {@code dir} now, sorted. */
    public List<String> names(Path dir) {
        List<String> n = new ArrayList<>(disk.names(dir));
        Collections.sort(n);
        return n;
    }
}
