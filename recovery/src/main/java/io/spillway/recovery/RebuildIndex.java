package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.index.MetaKeys;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offline rebuild of a store's index from its segments: {@code spillway rebuild-index}.
 *
 * <p>Steps:
 * <ol>
 *   <li>Take the store's lock (refused while another process has the store open).
 *   <li>Move the old index aside to {@code <index>.old-<timestamp>}; it is kept, never deleted.
 *   <li>Create a fresh index and record the store's alignment in it (read from a segment header).
 *   <li>Run {@link StoreRecovery} against it: every sealed segment is unknown to a fresh index, so
 *       its footer's live entries are added (a segment without a valid footer is scanned); every
 *       {@code .open} segment is recovered and sealed. Footers only: no payload is read except in
 *       open or footer-less segments.
 * </ol>
 * A crash during the rebuild leaves the old index aside and a partial new one: run it again.
 */
public final class RebuildIndex {

    private static final Logger LOG = LoggerFactory.getLogger(RebuildIndex.class);

    /**
     * The outcome.
     *
     * @param movedTo where the old index went (null if there was none)
     * @param segments segment files found
     * @param entries index entries written
     * @param recovery what the recovery pass did
     */
    public record Result(Path movedTo, int segments, long entries, StoreRecovery.Report recovery) {
    }

    private RebuildIndex() {
    }

    /** Counts the segments in {@code dir} (for a progress bar's total). */
    public static int countSegments(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return (int) s.filter(p -> SegmentPath.parse(p.getFileName().toString()).isPresent()).count();
        }
    }

    /** Steps 1 to 4 for the store in {@code dir} whose index is {@code indexDir}. */
    public static Result run(Path dir, Path indexDir, StoreRecovery.Listener listener) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no store directory");
        }
        try (StoreLock lock = StoreLock.acquire(dir)) {
            Path aside = Files.exists(indexDir) ? IndexOpener.moveAside(indexDir, "old") : null;
            if (aside != null) {
                LOG.info("moved the old index to {}", aside);
            }
            StoreRecovery.Report r = rebuild(dir, indexDir, null, listener);
            return new Result(aside, countSegments(dir), r.entriesAdded(), r);
        }
    }

    /**
     * Steps 3 and 4, for a caller that holds the store's lock and has moved any old index aside
     * ({@code fsck --repair} too).
     *
     * @param io how to read the directory, or null to probe it as the store does
     * @param listener progress, or null for none
     */
    static StoreRecovery.Report rebuild(Path dir, Path indexDir, FileIO io, StoreRecovery.Listener listener) throws IOException {
        int alignment = io != null ? io.alignment() : alignmentOf(dir);
        FileIO dirIo = io != null ? io : DirectIoProbe.forDirectory(dir, false, alignment);
        try (BlockIndex index = BlockIndex.open(indexDir, new IndexOptions(64L << 20, true))) {
            index.putMeta(MetaKeys.ALIGNMENT, alignment);
            StoreRecovery.Report r = StoreRecovery.run(List.of(new StoreRecovery.Directory(dir, dirIo)), index,
                    GcRecovery.NO_GC, listener == null ? StoreRecovery.Listener.NONE : listener);
            index.flush();
            StoreRecovery.markClean(index);
            return r;
        }
    }

    /** The alignment in the header of the first segment found; 4096 for a store without segments. */
    static int alignmentOf(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            // Regular files only: a FIFO under a segment's name would block the read below.
            for (Path p : s.filter(p -> SegmentPath.parse(p.getFileName().toString()).isPresent() && Files.isRegularFile(p))
                    .sorted().toList()) {
                try (FileChannel ch = FileChannel.open(p)) {
                    ByteBuffer b = ByteBuffer.allocate(SegmentHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                    ch.read(b, 0);
                    b.flip();
                    return SegmentHeader.decode(b).alignment();
                } catch (IOException e) {
                    LOG.warn("segment {}: unreadable header ({}); trying another", p.getFileName(), e.getMessage());
                }
            }
        }
        return 4096;
    }
}
