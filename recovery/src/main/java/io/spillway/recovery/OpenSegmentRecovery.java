package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.SegmentSealer;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers a segment left open ({@code seg-<id>.open}) by a crash, by a write or sync failure,
 * or by a writer still stuck in IO at close: finds its valid prefix and seals it there.
 *
 * <p>Protocol (run at store open, before any writer starts; idempotent, so a crash during it is
 * handled by running it again):
 * <ol>
 *   <li>Scan forward from the first group, checking every group header, record header and
 *       payload CRC. The scan stops at the end of the file, at a zero header (an extended,
 *       unwritten tail: normal) or at the first group that fails a check (a torn or corrupt
 *       tail). Records before that point form the valid prefix; a group is kept or dropped
 *       whole, because a group is written and synced as one unit.
 *   <li>Ask the index which valid records it points at. Those are the acknowledged blocks:
 *       under durability {@code batch} and {@code always} an index entry is synced only after
 *       its data, so every acknowledged block is there. The others were never acknowledged (a
 *       failed or timed-out dump, a rolled-back or never-committed manual dump) or were deleted:
 *       they stay invisible, and recovery never adds a record to the index.
 *   <li>Seal at the end of the valid prefix with {@link SegmentSealer}: the footer (records not
 *       pointed at are flagged {@link RecordFlags#NOT_LIVE}, so a later index rebuild skips
 *       them too) overwrites the torn tail, the file is truncated after it, synced, and renamed
 *       to {@code .seg}.
 * </ol>
 * Index entries that point past the truncation cannot exist under {@code batch} and
 * {@code always}; under {@code none} they can, and the load-time CRC check reports them as
 * corrupt and removes them.
 */
public final class OpenSegmentRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSegmentRecovery.class);

    /**
     * What recovery did to one segment.
     *
     * @param segmentId the segment
     * @param validRecords records in the valid prefix
     * @param liveRecords of those, records the index points at
     * @param validEnd where the data now ends
     * @param truncatedBytes bytes of torn or corrupt tail dropped (not counting an unwritten tail)
     * @param problem what stopped the scan, if it was not a clean end
     */
    public record Report(long segmentId, int validRecords, int liveRecords, long validEnd, long truncatedBytes,
                         String problem) {
    }

    private OpenSegmentRecovery() {
    }

    /** Recovers {@code dir/seg-<segmentId>.open}; see the class comment for the steps. */
    public static Report recover(FileIO io, Path dir, long segmentId, BlockIndex index) throws IOException {
        long started = System.nanoTime();
        Path file = new SegmentPath(segmentId, SegmentPath.State.OPEN).in(dir);
        long fileSize;
        try (var f = io.openRead(file)) {
            fileSize = f.size();
        }
        // Step 1: the valid prefix.
        SegmentScanner.Result scan;
        try {
            scan = SegmentScanner.scan(io, file, segmentId, true, Long.MAX_VALUE);
        } catch (CorruptRecordException e) {
            if (e.offset() != 0) {
                throw e;
            }
            return setAsideUnreadable(io, dir, segmentId, file, fileSize, e);
        }
        // Step 2: which of its records are acknowledged.
        boolean[] live = index.pointsAt(scan.records());
        int liveCount = 0;
        for (boolean b : live) {
            liveCount += b ? 1 : 0;
        }
        // Step 3: seal there.
        SegmentSealer.seal(io, dir, segmentId, scan.validEnd(), SegmentFooter.markLiveness(scan.records(), live),
                scan.alignment());
        long truncated = scan.stop() == SegmentScanner.Stop.CORRUPT ? Math.max(0, fileSize - scan.validEnd()) : 0;
        String problem = scan.problem() == null ? null : scan.problem().getMessage();
        Report report = new Report(segmentId, scan.records().size(), liveCount, scan.validEnd(), truncated, problem);
        LOG.info("recovered open segment {}: {} valid records ({} live) up to offset {}{} in {} ms", segmentId,
                report.validRecords(), liveCount, report.validEnd(),
                problem == null ? "" : ", torn tail of " + truncated + " bytes dropped (" + problem + ")",
                (System.nanoTime() - started) / 1_000_000);
        return report;
    }

    /**
     * Step 0, for a segment whose header block is missing or torn. {@code SegmentWriter.create}
     * creates the file, then writes and syncs the header, then syncs the directory; a crash in
     * between (or a failed preallocate or header write) can leave the name durable, through a
     * later directory fsync or the file system's own journal commit, with no valid header. No
     * record was ever appended to such a file, since appends start only once create returned, so
     * nothing in it was acknowledged. Without this step the scan's exception would fail every
     * open of the store from then on.
     * <ul>
     *   <li>Shorter than a header: deleted (it may still hold a whole preallocated segment's
     *       blocks, which the space bound must get back).
     *   <li>Otherwise (a header damaged after the fact: bit rot): renamed to
     *       {@code seg-<id>.open.unreadable}, which the store leaves alone, so nothing is
     *       destroyed and fsck can report it.
     * </ul>
     */
    private static Report setAsideUnreadable(FileIO io, Path dir, long segmentId, Path file, long fileSize,
                                             CorruptRecordException e) throws IOException {
        String what;
        if (fileSize < SegmentHeader.BYTES) {
            io.delete(file);
            what = "deleted it";
        } else {
            io.rename(file, dir.resolve(file.getFileName() + ".unreadable"));
            what = "renamed it to " + file.getFileName() + ".unreadable";
        }
        io.syncDirectory(dir);
        LOG.warn("open segment {} has no valid segment header ({}, {} bytes): nothing in it was acknowledged; {}", segmentId,
                e.getMessage(), fileSize, what);
        return new Report(segmentId, 0, 0, 0, fileSize, e.getMessage());
    }
}
