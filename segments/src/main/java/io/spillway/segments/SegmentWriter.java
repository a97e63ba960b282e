package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import io.spillway.segments.io.WriteQueue;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Appends record groups to one open segment. Owned by a single writer thread; not thread-safe.
 *
 * <p>Lifecycle, each step's durability stated:
 * <ol>
 *   <li>{@link #create}: creates {@code seg-<id>.open}, preallocates it to the segment size,
 *       writes the header block, fsyncs the file and then the directory, so the file itself
 *       survives a crash before any record in it is acknowledged.
 *   <li>{@link #append}: writes one group (header block and payloads) at the write position.
 *       Not durable until {@link #sync}.
 *   <li>{@link #sync}: fdatasync. On failure the segment is {@linkplain #failed() failed} and never
 *       synced again (the PostgreSQL fsync lesson: a second fsync may succeed while the dirty
 *       pages of the first were dropped). Records synced before stay valid.
 *   <li>{@link #seal}: writes the footer after the last group, truncates the preallocated tail,
 *       fdatasyncs, renames {@code .open} to {@code .seg}, and fsyncs the directory.
 * </ol>
 * A crash between any two steps leaves an {@code .open} file whose valid prefix recovery keeps.
 *
 * <p>Threads: one thread appends. Another may call {@link #sync} concurrently with appends (a
 * pipelined group commit: the sync covers every group whose write had ended before it started:
 * an {@link #append} that returned, an {@link #appendAsync} that reported), and may seal once
 * the appending thread has handed the segment over and every write has reported.
 *
 * <p>Payloads are copied into an aligned staging buffer and written with one call per group.
 */
public final class SegmentWriter implements AutoCloseable {

    private final FileIO io;
    private final Path dir;
    private final SegmentPath path;
    private final StoreFile file;
    private final long segmentSize;
    private final int alignment;
    private final MemorySegment staging;
    private final List<SegmentFooter.Entry> entries = new ArrayList<>();
    /** The offsets of {@link #appendAsync} groups whose writes have not ended. */
    private final ConcurrentSkipListSet<Long> writesInFlight = new ConcurrentSkipListSet<>();
    // Written by the appending thread; read by a thread that syncs and seals (see the class comment).
    private volatile long position;
    private volatile long syncedPosition;
    private volatile boolean failed;
    private volatile boolean closed;

    private SegmentWriter(FileIO io, Path dir, SegmentPath path, StoreFile file, long segmentSize, int alignment,
                          MemorySegment staging) {
        this.io = io;
        this.dir = dir;
        this.path = path;
        this.file = file;
        this.segmentSize = segmentSize;
        this.alignment = alignment;
        this.staging = staging;
        this.position = SegmentLayout.firstGroupOffset(alignment);
    }

    /**
     * Creates segment {@code segmentId} in {@code dir}.
     *
     * @param staging an aligned native buffer owned by the caller, a multiple of the alignment
     *     and at least the header block of a full group; reused across segments
     */
    public static SegmentWriter create(FileIO io, Path dir, long segmentId, long segmentSize, int alignment,
                                       MemorySegment staging) throws IOException {
        if (staging.byteSize() % alignment != 0 || staging.byteSize() < GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, alignment) + alignment) {
            throw new IllegalArgumentException("staging buffer of " + staging.byteSize() + " bytes is too small or not aligned to " + alignment);
        }
        if (segmentSize < 4L * alignment || segmentSize % alignment != 0) {
            throw new IllegalArgumentException("segment size " + segmentSize + " must be a multiple of " + alignment + " and at least 4 units");
        }
        SegmentPath path = new SegmentPath(segmentId, SegmentPath.State.OPEN);
        StoreFile file = io.create(path.in(dir));
        try {
            file.preallocate(0, segmentSize);
            byte[] header = new SegmentHeader(segmentId, alignment, System.currentTimeMillis()).encodeBlock();
            MemorySegment block = staging.asSlice(0, alignment);
            MemorySegment.copy(header, 0, block, ValueLayout.JAVA_BYTE, 0, alignment);
            file.write(block, 0);
            file.sync();
            io.syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            file.close();
            // No record was ever appended here. Left behind, the file would hold its preallocated
            // space outside the store's accounting until the next open's recovery (breaking the
            // space bound, invariant 4, on a disk that fails creates repeatedly).
            try {
                io.delete(path.in(dir));
            } catch (IOException | RuntimeException deleteFailure) {
                e.addSuppressed(deleteFailure);
            }
            throw e;
        }
        return new SegmentWriter(io, dir, path, file, segmentSize, alignment, staging);
    }

    public long segmentId() {
        return path.segmentId();
    }

    /** The open file's path. */
    public Path file() {
        return path.in(dir);
    }

    /** Where the next group goes; also the number of bytes used so far. */
    public long position() {
        return position;
    }

    /** Records appended so far. */
    public int recordCount() {
        return entries.size();
    }

    /** True once a sync failed: the segment takes no more writes and must be sealed or left for recovery. */
    public boolean failed() {
        return failed;
    }

    /**
     * Whether a group with these stored lengths fits, leaving room for the footer of every
     * record (those already here and these).
     */
    public boolean fits(int[] storedLengths) {
        long end = position + SegmentLayout.groupLength(storedLengths, alignment);
        return end + SegmentLayout.footerLength(entries.size() + storedLengths.length, alignment) <= segmentSize;
    }

    /** Whether an empty segment of {@code segmentSize} could hold this group at all. */
    public static boolean fitsEmpty(int[] storedLengths, long segmentSize, int alignment) {
        long end = SegmentLayout.firstGroupOffset(alignment) + SegmentLayout.groupLength(storedLengths, alignment);
        return end + SegmentLayout.footerLength(storedLengths.length, alignment) <= segmentSize;
    }

    /**
     * Appends one group, written before this returns. The group must {@linkplain #fits fit}.
     *
     * <p>Two paths, both checksumming the exact bytes they hand to the kernel:
     * <ul>
     *   <li><b>Gather</b>, when every piece is native memory (and, under direct IO, aligned in
     *       address and length): the CRC is computed over the caller's pieces, and one pwritev
     *       writes the header block and the pieces as they are, with no copy.
     *   <li><b>Staged</b>, otherwise: the pieces are copied into the staging buffer (or, for a group
     *       larger than it, a temporary aligned buffer), checksummed from that copy, and written.
     * </ul>
     * {@code onCopied} runs once the JVM is done reading the caller's memory (checksummed, or
     * copied) and before the write, so a write that hangs never holds the caller's task. On the
     * gather path the kernel still reads the caller's pages during the write; if the caller
     * reuses them after its task was released (a deadline), the record gets other bytes than its
     * CRC says, and since such a record is never published that only wastes space.
     *
     * @return where each record's payload went, in order
     * @throws IOException if the write fails; the segment is then failed
     */
    public List<BlockLocation> append(List<RecordSource> records, Runnable onCopied) throws IOException {
        Placement at = place(records);
        try {
            int[] crcs;
            if (gatherable(records)) {
                Gathered g = gather(records, at, staging, onCopied);
                file.write(g.pieces(), at.groupOffset());
                crcs = g.crcs();
            } else {
                crcs = writeStaged(records, at, onCopied);
            }
            return record(records, at, crcs);
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /**
     * {@link #append}, with a gather-path write left in flight on {@code queue}: the appending
     * thread goes on with the next group while the disk takes this one. A staged group is still
     * written before this returns (it is in the one staging buffer, which the next group reuses).
     *
     * <p>{@code written} reports exactly once, when the write has ended: on the queue's thread,
     * or on this one (a staged group; an inline queue), possibly before this method returns. A
     * failed write has failed the segment by the time it reports. A {@link #sync} covers a group
     * only once its write has ended, so the caller must not count on a sync before
     * {@code written} reported.
     *
     * @param scratch aligned native memory of at least {@link #scratchBytes} bytes that holds the
     *     group's header block until {@code written} reports; one per write in flight
     * @throws IOException when the write cannot start; the segment is then failed and
     *     {@code written} never reports
     */
    public List<BlockLocation> appendAsync(List<RecordSource> records, Runnable onCopied, MemorySegment scratch,
                                           WriteQueue queue, WriteQueue.WriteCompletion written) throws IOException {
        if (scratch.byteSize() < scratchBytes(alignment) || scratch.address() % alignment != 0 || !scratch.isNative()) {
            throw new IllegalArgumentException("scratch of " + scratch.byteSize() + " bytes at 0x" + Long.toHexString(scratch.address())
                    + " is not aligned native memory of " + scratchBytes(alignment) + " bytes");
        }
        if (!gatherable(records)) {
            List<BlockLocation> out = append(records, onCopied);
            written.completed();
            return out;
        }
        Placement at = place(records);
        try {
            Gathered g = gather(records, at, scratch, onCopied);
            writesInFlight.add(at.groupOffset());
            List<BlockLocation> out = record(records, at, g.crcs());
            try {
                queue.write(file, g.pieces(), at.groupOffset(), new WriteQueue.WriteCompletion() {
                    @Override
                    public void completed() {
                        writesInFlight.remove(at.groupOffset());
                        written.completed();
                    }

                    @Override
                    public void failed(IOException error) {
                        failed = true;
                        writesInFlight.remove(at.groupOffset());
                        written.failed(error);
                    }
                });
            } catch (IOException | RuntimeException e) {
                writesInFlight.remove(at.groupOffset());
                throw e;
            }
            return out;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** The scratch one {@link #appendAsync} in flight needs: a full group's header block and one unit of padding. */
    public static long scratchBytes(int alignment) {
        return GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, alignment) + (long) alignment;
    }

    /** Where a group goes: its offset, header block, length and each record's payload offset. */
    private record Placement(long groupOffset, int headerBlock, long groupLength, int[] lengths, long[] offsets) {
    }

    private Placement place(List<RecordSource> records) {
        ensureWritable();
        int n = records.size();
        if (n < 1 || n > GroupHeader.MAX_RECORDS) {
            throw new IllegalArgumentException("a group holds 1 to " + GroupHeader.MAX_RECORDS + " records, got " + n);
        }
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = records.get(i).storedLength();
        }
        if (!fits(lengths)) {
            throw new IllegalStateException("group does not fit in segment " + segmentId() + " at " + position);
        }
        int headerBlock = GroupHeader.headerBlockLength(n, alignment);
        long[] offsets = new long[n];
        long p = position + headerBlock;
        for (int i = 0; i < n; i++) {
            offsets[i] = p;
            p += SegmentLayout.alignUp(lengths[i], alignment);
        }
        return new Placement(position, headerBlock, SegmentLayout.groupLength(lengths, alignment), lengths, offsets);
    }

    /** Takes the group's records into the footer's entries and moves the write position past it. */
    private List<BlockLocation> record(List<RecordSource> records, Placement at, int[] crcs) {
        List<BlockLocation> out = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            RecordSource r = records.get(i);
            BlockLocation loc = new BlockLocation(segmentId(), at.offsets()[i], at.lengths()[i], r.rawLength(), crcs[i], r.codec(),
                    r.flags(), r.writeTimeMillis());
            entries.add(new SegmentFooter.Entry(r.key(), loc));
            out.add(loc);
        }
        position = at.groupOffset() + at.groupLength();
        return out;
    }

    /** Whether every piece can go to the kernel as it is. */
    private boolean gatherable(List<RecordSource> records) {
        for (RecordSource r : records) {
            for (MemorySegment piece : r.pieces()) {
                if (!piece.isNative() || (io.directIo()
                        && (piece.address() % alignment != 0 || piece.byteSize() % alignment != 0))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A gather-path group: what to write, in order, and each record's CRC. */
    private record Gathered(List<MemorySegment> pieces, int[] crcs) {
    }

    /** Checksums the caller's pieces and lays out the header block (and padding) in {@code scratch}. */
    private Gathered gather(List<RecordSource> records, Placement at, MemorySegment scratch, Runnable onCopied) {
        int n = records.size();
        int[] crcs = new int[n];
        for (int i = 0; i < n; i++) {
            crcs[i] = Checksums.crc32c(records.get(i).pieces());
        }
        onCopied.run();
        // The scratch holds the header block, then one alignment unit of zeros for padding.
        MemorySegment header = scratch.asSlice(0, at.headerBlock());
        MemorySegment.copy(encodeHeaderBlock(records, at, crcs), 0, header, ValueLayout.JAVA_BYTE, 0, at.headerBlock());
        MemorySegment zeros = scratch.asSlice(at.headerBlock(), alignment);
        zeros.fill((byte) 0);
        List<MemorySegment> iov = new ArrayList<>();
        iov.add(header);
        for (RecordSource r : records) {
            iov.addAll(r.pieces());
            long len = r.storedLength();
            long pad = SegmentLayout.alignUp(len, alignment) - len;
            if (pad > 0) {
                iov.add(zeros.asSlice(0, pad));
            }
        }
        return new Gathered(iov, crcs);
    }

    private int[] writeStaged(List<RecordSource> records, Placement at, Runnable onCopied) throws IOException {
        int n = records.size();
        long groupOffset = at.groupOffset();
        try (Arena overflow = at.groupLength() > staging.byteSize() ? Arena.ofConfined() : null) {
            MemorySegment buf = overflow == null ? staging : overflow.allocate(at.groupLength(), alignment);
            int[] crcs = new int[n];
            for (int i = 0; i < n; i++) {
                long rel = at.offsets()[i] - groupOffset;
                long len = 0;
                for (MemorySegment piece : records.get(i).pieces()) {
                    MemorySegment.copy(piece, 0, buf, rel + len, piece.byteSize());
                    len += piece.byteSize();
                }
                crcs[i] = Checksums.crc32c(buf.asSlice(rel, len));
                buf.asSlice(rel + len, SegmentLayout.alignUp(len, alignment) - len).fill((byte) 0);
            }
            byte[] header = encodeHeaderBlock(records, at, crcs);
            MemorySegment.copy(header, 0, buf, ValueLayout.JAVA_BYTE, 0, at.headerBlock());
            onCopied.run();
            file.write(buf.asSlice(0, at.groupLength()), groupOffset);
            return crcs;
        }
    }

    private byte[] encodeHeaderBlock(List<RecordSource> records, Placement at, int[] crcs) {
        byte[] block = new byte[at.headerBlock()];
        ByteBuffer b = ByteBuffer.wrap(block);
        new GroupHeader(records.size(), segmentId(), at.groupOffset(), at.groupLength(), at.headerBlock()).encode(b);
        for (int i = 0; i < records.size(); i++) {
            RecordSource r = records.get(i);
            new RecordHeader(r.key(), at.offsets()[i], r.storedLength(), r.rawLength(), crcs[i], r.codec(), r.flags(),
                    r.writeTimeMillis()).encode(b);
        }
        return block;
    }

    /**
     * fdatasync. Never retried after a failure: the segment is marked failed and the caller seals
     * what was synced before, or leaves the file to recovery.
     */
    public void sync() throws IOException {
        ensureWritable();
        // Covered: everything appended before this sync starts, up to the first write still in
        // flight (position is read first: a write started after it lies beyond it).
        long covered = position;
        Long firstInFlight = writesInFlight.ceiling(Long.MIN_VALUE);
        if (firstInFlight != null) {
            covered = Math.min(covered, firstInFlight);
        }
        try {
            file.sync();
            syncedPosition = covered;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Bytes known durable: everything before this offset was synced. */
    public long syncedPosition() {
        return syncedPosition;
    }

    /** Every record appended so far, in file order (the footer's entries before liveness). */
    public List<SegmentFooter.Entry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Seals the segment: footer, truncate, fdatasync, rename to {@code .seg}, directory fsync.
     * Must not be called on a failed segment (its unsynced tail is unknown; recovery handles it).
     *
     * @param live for each of {@link #entries()}, whether the index points at it; the others are
     *     listed with {@link RecordFlags#NOT_LIVE}
     * @return the sealed segment's footer
     */
    public SegmentFooter seal(boolean[] live) throws IOException {
        ensureWritable();
        SegmentFooter footer = new SegmentFooter(segmentId(), position, SegmentFooter.markLiveness(entries, live));
        byte[] encoded = footer.encode(alignment);
        try {
            SegmentSealer.writeFooter(file, encoded, position, alignment);
            file.truncate(position + encoded.length);
            file.sync();
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
        file.close();
        closed = true;
        io.rename(path.in(dir), path.as(SegmentPath.State.SEALED).in(dir));
        io.syncDirectory(dir);
        return footer;
    }

    private void ensureWritable() {
        if (closed) {
            throw new IllegalStateException("segment " + segmentId() + " is closed");
        }
        if (failed) {
            throw new IllegalStateException("segment " + segmentId() + " failed earlier and takes no more writes");
        }
    }

    /**
     * Frees the blocks reserved past the file's end (an ftruncate to its own length), for a
     * segment no writer will append to again (a failed one, left to recovery): every byte written
     * stays, only the preallocation goes back. Not synced (nothing depends on it), so it is no
     * retry of a failed fsync.
     */
    public synchronized void releaseReservation() throws IOException {
        if (!closed) {
            file.truncate(file.size());
        }
    }

    /** Closes the file without sealing (on failure, or at shutdown without seal). Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            file.close();
        }
    }
}
