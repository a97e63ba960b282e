package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ReadQueue;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Positional reads of one segment file, shared by any number of threads (every read is a pread
 * at an absolute offset).
 *
 * <p>The reader never interprets a payload; it reads the stored bytes a {@link BlockLocation}
 * points at and checks them against the location's CRC32C. The index's location is trusted for
 * where to read, never for what was read.
 */
public final class SegmentReader implements AutoCloseable {

    private final FileIO io;
    private final Path path;
    private final StoreFile file;
    private final long segmentId;
    private final int alignment;

    private SegmentReader(FileIO io, Path path, StoreFile file, long segmentId, int alignment) {
        this.io = io;
        this.path = path;
        this.file = file;
        this.segmentId = segmentId;
        this.alignment = alignment;
    }

    /**
     * Opens a segment file and checks its header block.
     *
     * @throws CorruptRecordException if the header is bad or names another segment id
     */
    public static SegmentReader open(FileIO io, Path path, long expectedSegmentId) throws IOException {
        StoreFile file = io.openRead(path);
        try {
            int unit = Math.max(io.alignment(), 4096);
            SegmentHeader header;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(unit, unit);
                long n = file.read(buf, 0);
                if (n < SegmentHeader.BYTES) {
                    throw new CorruptRecordException(0, "segment file " + path + " is " + n + " bytes, too short for a header");
                }
                header = SegmentHeader.decode(buf.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
            }
            if (header.segmentId() != expectedSegmentId) {
                throw new CorruptRecordException(0, "file " + path + " holds segment " + header.segmentId() + ", expected " + expectedSegmentId);
            }
            return new SegmentReader(io, path, file, header.segmentId(), header.alignment());
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public long segmentId() {
        return segmentId;
    }

    public int alignment() {
        return alignment;
    }

    public Path path() {
        return path;
    }

    /**
     * The size and alignment of the buffers, offsets and lengths this reader's IO needs: the IO
     * layer's alignment, at least a page (what {@link #open} reads the header with).
     */
    int readUnit() {
        return Math.max(io.alignment(), 4096);
    }

    /** The file's length now. */
    public long size() throws IOException {
        return file.size();
    }

    /**
     * Reads the raw bytes at {@code offset} into {@code dst}. With direct IO the caller passes an
     * aligned native buffer, an aligned offset and an aligned length.
     *
     * @return bytes read (short only at end of file)
     */
    public long read(MemorySegment dst, long offset) throws IOException {
        return file.read(dst, offset);
    }

    /**
     * Reads the stored payload at {@code loc} into {@code dst} (at least
     * {@code loc.storedLength()} bytes; with direct IO, aligned and at least the length rounded up
     * to the alignment) and verifies its CRC32C.
     *
     * @throws CorruptRecordException if the file is short there or the checksum does not match
     */
    public void readVerified(BlockLocation loc, MemorySegment dst) throws IOException {
        if (loc.segmentId() != segmentId) {
            throw new IllegalArgumentException("location in segment " + loc.segmentId() + " read from segment " + segmentId);
        }
        long want = io.directIo() ? SegmentLayout.alignUp(loc.storedLength(), io.alignment()) : loc.storedLength();
        MemorySegment target = dst.asSlice(0, want);
        long n = file.read(target, loc.payloadOffset());
        if (n < loc.storedLength()) {
            throw new CorruptRecordException(loc.payloadOffset(), "segment " + segmentId + " ends inside the payload ("
                    + n + " of " + loc.storedLength() + " bytes)");
        }
        verify(loc, dst.asSlice(0, loc.storedLength()));
    }

    /**
     * How many bytes a read of {@code loc}'s payload covers: its stored length, rounded up to the
     * IO alignment under direct IO (the tail up to the next alignment is padding or the next
     * record, never compared).
     */
    public long payloadReadLength(BlockLocation loc) {
        if (loc.segmentId() != segmentId) {
            throw new IllegalArgumentException("location in segment " + loc.segmentId() + " read from segment " + segmentId);
        }
        return io.directIo() ? SegmentLayout.alignUp(loc.storedLength(), io.alignment()) : loc.storedLength();
    }

    /**
     * Starts reading raw bytes at {@code offset} into {@code dst} on {@code queue} (see
     * {@link ReadQueue#read}; the same alignment rules as {@link #read}). The caller checks what
     * arrives, e.g. with {@link #checkPayload}: this reader vouches for nothing it did not verify.
     */
    public void readAsync(ReadQueue queue, MemorySegment dst, long offset, ReadQueue.ReadCompletion completion) throws IOException {
        queue.read(file, dst, offset, completion);
    }

    /**
     * Checks the outcome of reading {@code loc}'s payload in pieces: {@code bytesRead} bytes of
     * it arrived and their CRC32C is {@code computedCrc}.
     *
     * @throws CorruptRecordException if the file ended inside the payload or the checksum differs
     */
    public void checkPayload(BlockLocation loc, long bytesRead, int computedCrc) throws CorruptRecordException {
        if (bytesRead < loc.storedLength()) {
            throw new CorruptRecordException(loc.payloadOffset(), "segment " + segmentId + " ends inside the payload ("
                    + bytesRead + " of " + loc.storedLength() + " bytes)");
        }
        checkCrc(loc, computedCrc);
    }

    private static void checkCrc(BlockLocation loc, int crc) throws CorruptRecordException {
        if (crc != loc.payloadCrc()) {
            throw new CorruptRecordException(loc.payloadOffset(), String.format(
                    "payload CRC mismatch in segment %d: stored 0x%08x, computed 0x%08x", loc.segmentId(), loc.payloadCrc(), crc));
        }
    }

    /** Checks stored bytes against the location's CRC32C. */
    public static void verify(BlockLocation loc, MemorySegment stored) throws CorruptRecordException {
        checkCrc(loc, Checksums.crc32c(stored));
    }

    /**
     * Reads and checks the footer of a sealed segment.
     *
     * @throws CorruptRecordException if the trailer or footer is missing or damaged (the caller
     *     may then fall back to {@link SegmentScanner})
     */
    public SegmentFooter readFooter() throws IOException {
        long length = file.size();
        if (length < SegmentLayout.firstGroupOffset(alignment) + SegmentLayout.footerLength(0, alignment)) {
            throw new CorruptRecordException(length, "segment " + segmentId + " is too short for a footer: " + length + " bytes");
        }
        int unit = Math.max(io.alignment(), alignment);
        try (Arena arena = Arena.ofConfined()) {
            long tailStart = SegmentLayout.alignDown(length - SegmentFooter.TRAILER_BYTES, unit);
            MemorySegment tail = arena.allocate(SegmentLayout.alignUp(length - tailStart, unit), unit);
            readFully(tail, tailStart, length - tailStart);
            SegmentFooter.Trailer t = SegmentFooter.decodeTrailer(
                    tail.asSlice(length - SegmentFooter.TRAILER_BYTES - tailStart, SegmentFooter.TRAILER_BYTES).asByteBuffer(),
                    segmentId, length, alignment);
            long dataEnd = t.dataEnd();
            long bodyStart = SegmentLayout.alignDown(dataEnd, unit);
            MemorySegment body = arena.allocate(SegmentLayout.alignUp(length - bodyStart, unit), unit);
            readFully(body, bodyStart, length - bodyStart);
            return SegmentFooter.decodeBody(body.asSlice(dataEnd - bodyStart, length - dataEnd).asByteBuffer(), segmentId, t,
                    alignment);
        }
    }

    private void readFully(MemorySegment buf, long offset, long needed) throws IOException {
        long n = file.read(buf, offset);
        if (n < needed) {
            throw new CorruptRecordException(offset + n, "segment " + segmentId + " ended early: read " + n + " of " + needed + " bytes");
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
