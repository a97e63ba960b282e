package io.spillway.segments;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * Seals an open segment that no writer owns any more: the one a crash left behind, once
 * recovery has found its valid prefix.
 *
 * <p>Steps, each safe to crash after:
 * <ol>
 *   <li>write the footer (listing {@code entries}) at {@code dataEnd}, overwriting any torn tail;
 *   <li>truncate the file just past the footer and fdatasync it;
 *   <li>rename {@code seg-<id>.open} to {@code seg-<id>.seg};
 *   <li>fsync the directory.
 * </ol>
 * A crash before step 3 leaves the {@code .open} file, which the next recovery scans again
 * (its footer then ends the scan like any corrupt group would, at {@code dataEnd}). A crash
 * after step 3 leaves either name; both are valid.
 */
public final class SegmentSealer {

    private SegmentSealer() {
    }

    /** Seals {@code dir/seg-<id>.open} with a footer of {@code entries} at {@code dataEnd}. */
    public static SegmentFooter seal(FileIO io, Path dir, long segmentId, long dataEnd, List<SegmentFooter.Entry> entries,
                                     int alignment) throws IOException {
        SegmentPath open = new SegmentPath(segmentId, SegmentPath.State.OPEN);
        SegmentFooter footer = new SegmentFooter(segmentId, dataEnd, entries);
        byte[] encoded = footer.encode(alignment);
        try (StoreFile file = io.openWrite(open.in(dir))) {
            writeFooter(file, encoded, dataEnd, alignment);
            file.truncate(dataEnd + encoded.length);
            file.sync();
        }
        io.rename(open.in(dir), open.as(SegmentPath.State.SEALED).in(dir));
        io.syncDirectory(dir);
        return footer;
    }

    /** Writes an encoded footer (a multiple of the alignment) at {@code offset} through an aligned buffer. */
    static void writeFooter(StoreFile file, byte[] encoded, long offset, int alignment) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(encoded.length, alignment);
            MemorySegment.copy(encoded, 0, buf, ValueLayout.JAVA_BYTE, 0, encoded.length);
            file.write(buf, offset);
        }
    }
}
