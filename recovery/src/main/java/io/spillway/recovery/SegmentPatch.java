package io.spillway.recovery;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ForwardingFileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The changes a repair plans for one segment file: byte ranges to overwrite, in order, and a new
 * length. Nothing is written until {@link SegmentRewrite} applies the patch. Until then
 * {@link #view} shows the file as the patch would leave it, so that every check runs against the
 * repaired file, and a repair that would not check out is never written.
 */
final class SegmentPatch {

    /** Bytes to write at an offset. */
    record Write(long offset, byte[] bytes) {
        Write {
            if (offset < 0) {
                throw new IllegalArgumentException("negative offset " + offset);
            }
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    private final List<Write> writes = new ArrayList<>();
    private long length = -1;

    /** Overwrites {@code bytes.length} bytes at {@code offset}; a later write wins where two overlap. */
    void write(long offset, byte[] bytes) {
        writes.add(new Write(offset, bytes.clone()));
    }

    /** Writes zeros over [offset, offset + count). */
    void zero(long offset, long count) {
        writes.add(new Write(offset, new byte[Math.toIntExact(count)]));
    }

    /** Sets the file's length (truncating it, or extending it with zeros). */
    void length(long newLength) {
        if (newLength < 0) {
            throw new IllegalArgumentException("negative length " + newLength);
        }
        length = newLength;
    }

    /** An independent copy, to try a change on without making it. */
    SegmentPatch copy() {
        SegmentPatch c = new SegmentPatch();
        c.writes.addAll(writes);
        c.length = length;
        return c;
    }

    /** The file's length after the patch, given its length now. */
    long lengthAfter(long lengthNow) {
        return length >= 0 ? length : lengthNow;
    }

    List<Write> writes() {
        return List.copyOf(writes);
    }

    boolean isEmpty() {
        return writes.isEmpty() && length < 0;
    }

    /**
     * A read-only view of {@code base} in which {@code file} reads as this patch leaves it (a
     * snapshot of the patch as it is now) and every other file as it is. The base must do
     * buffered IO: the view reads any range of the file at any offset.
     */
    FileIO view(FileIO base, Path file) {
        return new PatchedView(requireBuffered(base), file, List.copyOf(writes), length, 0);
    }

    /**
     * A read-only view of {@code base} in which {@code file} reads as its bytes from
     * {@code from} on (offset 0 of the view is offset {@code from} of the file): a reader of a
     * file format that starts at offset 0 can then be pointed at any later offset.
     */
    static FileIO suffix(FileIO base, Path file, long from) {
        return new PatchedView(requireBuffered(base), file, List.of(), -1, from);
    }

    /** {@code base}, refused if it does direct IO: a view reads any range at any offset. */
    private static FileIO requireBuffered(FileIO base) {
        if (base.directIo()) {
            throw new IllegalArgumentException("a patched view reads through buffered IO only");
        }
        return base;
    }

    /**
     * See {@link #view} and {@link #suffix}: {@code file} with {@code writes} and {@code length},
     * from {@code shift} on; every other call reads through to the base, and nothing writes.
     */
    private static final class PatchedView extends ForwardingFileIO {

        private final Path file;
        private final List<Write> writes;
        private final long length;
        private final long shift;

        PatchedView(FileIO base, Path file, List<Write> writes, long length, long shift) {
            super(base);
            this.file = file;
            this.writes = writes;
            this.length = length;
            this.shift = shift;
        }

        @Override
        public boolean directIo() {
            return false;
        }

        @Override
        protected StoreFile wrap(Path path, StoreFile opened) throws IOException {
            return path.equals(file) ? new PatchedFile(opened, opened.size(), writes, length, shift) : opened;
        }

        @Override
        public StoreFile create(Path path) {
            throw readOnly();
        }

        @Override
        public StoreFile openWrite(Path path) {
            throw readOnly();
        }

        @Override
        public void rename(Path from, Path to) {
            throw readOnly();
        }

        @Override
        public void syncDirectory(Path dir) {
            throw readOnly();
        }

        @Override
        public boolean delete(Path path) {
            throw readOnly();
        }

        @Override
        public void createDirectories(Path dir) {
            throw readOnly();
        }
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a patched segment view is read-only");
    }

    /** One file read through the patch: the base bytes (zeros past their end), then the writes, all from {@code shift} on. */
    private record PatchedFile(StoreFile inner, long baseLength, List<Write> writes, long length, long shift) implements StoreFile {

        @Override
        public long read(MemorySegment dst, long offset) throws IOException {
            long size = size();
            if (offset >= size) {
                return 0;
            }
            long n = Math.min(dst.byteSize(), size - offset);
            long at = offset + shift; // where in the file
            MemorySegment target = dst.asSlice(0, n);
            long got = at < baseLength ? inner.read(target.asSlice(0, Math.min(n, baseLength - at)), at) : 0;
            if (got < n) {
                target.asSlice(got, n - got).fill((byte) 0);
            }
            for (Write w : writes) {
                long from = Math.max(at, w.offset());
                long to = Math.min(at + n, w.offset() + w.bytes().length);
                if (from < to) {
                    MemorySegment.copy(w.bytes(), Math.toIntExact(from - w.offset()), target, ValueLayout.JAVA_BYTE, from - at,
                            Math.toIntExact(to - from));
                }
            }
            return n;
        }

        @Override
        public long size() {
            return Math.max(0, (length >= 0 ? length : baseLength) - shift);
        }

        @Override
        public void write(MemorySegment src, long offset) {
            throw readOnly();
        }

        @Override
        public void sync() {
            throw readOnly();
        }

        @Override
        public boolean preallocate(long offset, long len) {
            throw readOnly();
        }

        @Override
        public void truncate(long size) {
            throw readOnly();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
