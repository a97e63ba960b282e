package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Walks a segment's groups forward from the first, checking every group header, record header
 * and (optionally) payload CRC, and stops at the first thing that does not check out.
 *
 * <p>The scan never looks inside payloads for structure: it jumps from group to group by their
 * lengths, so payload bytes that happen to look like a header are never parsed as one. A zero
 * group header ends the data normally (an unwritten, preallocated tail); anything else that fails
 * is a torn or corrupt tail, reported with its offset. Records before it are the valid prefix.
 */
public final class SegmentScanner {

    /** Why the scan stopped. */
    public enum Stop {
        /** Reached zeros: the normal end of an open segment's data where its length was extended. */
        CLEAN_END,
        /** Reached the end of the file at a group boundary: the normal end of an open segment's data. */
        END_OF_FILE,
        /** Found a torn or corrupt group, header or payload. */
        CORRUPT
    }

    /**
     * What a scan found.
     *
     * @param records valid records, in file order
     * @param validEnd the offset just past the last valid group (where a repair truncates)
     * @param stop why the scan stopped
     * @param problem the corruption found, if {@code stop == CORRUPT}
     * @param alignment the segment's alignment, from its header
     */
    public record Result(List<SegmentFooter.Entry> records, long validEnd, Stop stop, CorruptRecordException problem,
                         int alignment) {
    }

    private SegmentScanner() {
    }

    /**
     * Scans segment file {@code path} (open or sealed; a sealed one's footer ends the scan as a
     * corrupt group would, so callers prefer its footer).
     *
     * @param verifyPayloads read every payload and check its CRC32C (recovery does; a quick
     *     listing does not)
     * @param limit scan no further than this offset (the file size, or a footer's dataEnd)
     */
    public static Result scan(FileIO io, Path path, long segmentId, boolean verifyPayloads, long limit) throws IOException {
        // Shared: the verifying scan's read-ahead thread reads into this arena's memory.
        try (StoreFile file = io.openRead(path); Arena arena = Arena.ofShared()) {
            int unit = Math.max(io.alignment(), 4096);
            MemorySegment first = arena.allocate(unit, unit);
            if (file.read(first, 0) < SegmentHeader.BYTES) {
                throw new CorruptRecordException(0, path + " is too short for a segment header");
            }
            SegmentHeader header = SegmentHeader.decode(first.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
            if (header.segmentId() != segmentId) {
                throw new CorruptRecordException(0, path + " holds segment " + header.segmentId() + ", expected " + segmentId);
            }
            int alignment = header.alignment();
            long fileLimit = Math.min(limit, file.size());
            int headerBlockMax = GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, alignment);
            MemorySegment headBuf = arena.allocate(SegmentLayout.alignUp(headerBlockMax, unit), unit);
            List<SegmentFooter.Entry> records = new ArrayList<>();
            long pos = SegmentLayout.firstGroupOffset(alignment);
            Window window = verifyPayloads ? new Window(file, arena, unit, fileLimit) : null;
            try {
            while (true) {
                if (pos + GroupHeader.BYTES > fileLimit) {
                    return new Result(records, pos, Stop.END_OF_FILE, null, alignment);
                }
                try {
                    ByteBuffer hb;
                    if (window != null) {
                        hb = window.slice(pos, Math.min(headerBlockMax, fileLimit - pos)).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    } else {
                        long n = file.read(headBuf.asSlice(0, Math.min(headBuf.byteSize(), SegmentLayout.alignUp(fileLimit - pos, unit))), pos);
                        hb = headBuf.asSlice(0, n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    }
                    GroupHeader g = GroupHeader.decode(hb, segmentId, pos, fileLimit, alignment);
                    if (g == null) {
                        return new Result(records, pos, Stop.CLEAN_END, null, alignment);
                    }
                    List<SegmentFooter.Entry> group = new ArrayList<>(g.count());
                    long expected = pos + g.headerBlockLength();
                    for (int i = 0; i < g.count(); i++) {
                        long at = pos + GroupHeader.BYTES + (long) i * RecordHeader.BYTES;
                        RecordHeader r = RecordHeader.decode(hb, at, pos + g.groupLength());
                        if (r.payloadOffset() != expected) {
                            throw new CorruptRecordException(at, "record payload at " + r.payloadOffset() + ", expected " + expected);
                        }
                        expected += SegmentLayout.alignUp(r.storedLength(), alignment);
                        group.add(new SegmentFooter.Entry(r.key(), r.location(segmentId)));
                    }
                    if (expected != pos + g.groupLength()) {
                        throw new CorruptRecordException(pos, "group length " + g.groupLength() + " disagrees with its records");
                    }
                    if (window != null) {
                        for (SegmentFooter.Entry e : group) {
                            BlockLocation loc = e.location();
                            MemorySegment payload = window.slice(loc.payloadOffset(), loc.storedLength());
                            if (payload.byteSize() < loc.storedLength()) {
                                throw new CorruptRecordException(loc.payloadOffset(), "payload cut short: " + payload.byteSize()
                                        + " of " + loc.storedLength() + " bytes");
                            }
                            SegmentReader.verify(loc, payload);
                        }
                    }
                    records.addAll(group);
                    pos += g.groupLength();
                } catch (CorruptRecordException e) {
                    return new Result(records, pos, Stop.CORRUPT, e, alignment);
                }
            }
            } finally {
                if (window != null) {
                    window.close();
                }
            }
        }
    }

    /**
     * A sliding read window over the file for a verifying scan: reads forward in chunks of
     * {@value #CHUNK} bytes (aligned, so O_DIRECT works), keeping what a later slice still needs,
     * so that a recovery scan reads every byte once, in large sequential reads, whatever the
     * group and record sizes. After each read it starts the next one on another thread into the
     * free rest of the buffer, so the CRCs of this chunk overlap the read of the next: the scan
     * costs about a plain sequential read.
     */
    private static final class Window implements AutoCloseable {
        private static final long CHUNK = 32L << 20;
        private final StoreFile file;
        private final Arena arena;
        private final int unit;
        private final long limit;
        private ExecutorService reader; // started on the first read-ahead
        private MemorySegment buf;
        private long start;
        private long end;
        private Future<Long> ahead; // bytes read at [end, ...)

        Window(StoreFile file, Arena arena, int unit, long limit) {
            this.file = file;
            this.arena = arena;
            this.unit = unit;
            this.limit = limit;
        }

        /** The bytes [off, off + len), shorter only where the file (or the limit) ends first. */
        MemorySegment slice(long off, long len) throws IOException {
            if (buf != null && off >= start && off + len > end) {
                collect();
            }
            if (buf != null && off >= start && off + len <= end) {
                return buf.asSlice(off - start, len);
            }
            collect();
            long newStart = SegmentLayout.alignDown(off, unit);
            long keep = buf != null && newStart >= start && newStart < end ? end - newStart : 0;
            // Two chunks, or less for a small file (tests scan small files thousands of times).
            long want = SegmentLayout.alignUp(Math.max(off + len - newStart,
                    Math.min(2 * CHUNK, SegmentLayout.alignUp(limit, unit) - newStart)), unit);
            if (buf == null || buf.byteSize() < want) {
                MemorySegment grown = arena.allocate(want, unit);
                if (keep > 0) {
                    MemorySegment.copy(buf, newStart - start, grown, 0, keep);
                }
                buf = grown;
            } else if (keep > 0 && newStart != start) {
                MemorySegment.copy(buf, newStart - start, buf, 0, keep); // overlapping copies are safe
            }
            start = newStart;
            end = newStart + keep;
            long readTo = Math.min(SegmentLayout.alignUp(limit, unit), start + buf.byteSize());
            if (end < readTo && end % unit == 0) { // an unaligned end is the end of the file
                long now = Math.min(readTo, Math.max(SegmentLayout.alignUp(off + len, unit), end + CHUNK));
                end += file.read(buf.asSlice(end - start, now - end), end);
                if (end == now && end < readTo) {
                    long from = end;
                    MemorySegment target = buf.asSlice(from - start, readTo - from);
                    if (reader == null) {
                        reader = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon(true)
                                .name("spillway-scan-readahead").unstarted(r));
                    }
                    ahead = reader.submit(() -> file.read(target, from));
                }
            }
            long available = Math.max(0, Math.min(end, limit) - off);
            return buf.asSlice(off - start, Math.min(len, available));
        }

        /** Waits for the read-ahead in flight, if any, and takes its bytes. */
        private void collect() throws IOException {
            if (ahead == null) {
                return;
            }
            try {
                end += ahead.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException("read-ahead failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading ahead");
            } finally {
                ahead = null;
            }
        }

        @Override
        public void close() {
            if (ahead != null) {
                try {
                    ahead.get(); // the buffer must outlive the read into it
                } catch (Exception e) {
                    // the scan already ended; nothing reads these bytes
                }
            }
            if (reader != null) {
                reader.shutdownNow();
            }
        }
    }
}
