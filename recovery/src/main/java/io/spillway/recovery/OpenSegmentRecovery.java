package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.SegmentSealer;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers a segment left open ({@code seg-<id>.open}) by a crash, by a write or sync failure,
 * or by a writer still stuck in IO at close: finds its valid prefix, reconciles the index with
 * it, and seals it there.
 *
 * <p><b>How commit status is persisted.</b> Visibility is decided by the index: a record is
 * visible when the index points at it. The syncer writes, in the same index batch that publishes
 * a group's entries, the segment's <em>published watermark</em>: the end offset of the last
 * group whose fate (visible, timed out, aborted, failed by its sync) it decided. So for a group
 * below the watermark the index is the whole truth; a group above it was still in flight at the
 * crash and no caller was ever told it failed.
 *
 * <p>Protocol (run at store open, before any writer starts; idempotent, so a crash during it is
 * handled by running it again):
 * <ol>
 *   <li>Scan forward from the first group, checking every group header, record header and
 *       payload CRC. The scan stops at the end of the file, at a zero header (an extended,
 *       unwritten tail: normal) or at the first group that fails a check (a torn or corrupt
 *       tail). Records before that point form the valid prefix; a group is kept or dropped
 *       whole, because a group is written and synced as one unit.
 *   <li>Read the segment's published watermark from the index.
 *   <li>A record below the watermark is live iff the index points at exactly it (an acknowledged
 *       block; the others were reported failed, timed out, aborted, deleted or never committed).
 *   <li>A record above the watermark was in flight at the crash. If it was written under
 *       auto-commit it is re-indexed, the latest record of a key winning, unless the index
 *       already points elsewhere for that key (never overwritten; an entry into a segment that
 *       is gone, which only a stale index holds, counts as no entry). A manual-commit record above
 *       the watermark was never committed (a commit writes its entry, which would make it
 *       live), so it stays invisible.
 *   <li>Write the added entries, and mark the segment sealed in the index, in one synced batch:
 *       the footer written next must agree with the index.
 *   <li>Write zeros over any non-zero padding of the valid prefix ({@link SegmentPadding}): a
 *       write the crash tore before its sync can leave garbage in bytes no CRC covers (the
 *       segment header block's tail, a header block's tail, a payload's tail to the alignment)
 *       while every checked field is intact. Synced by the next step.
 *   <li>Seal at the end of the valid prefix with {@link SegmentSealer}: the footer (records not
 *       live are flagged {@link RecordFlags#NOT_LIVE}, so a later index rebuild skips them too)
 *       overwrites the torn tail, the file is truncated after it, synced, and renamed to
 *       {@code .seg}.
 * </ol>
 * Index entries that point past the truncation, or at a record that failed its check, cannot
 * exist under durability {@code batch} and {@code always}; under {@code none}, or with a stale
 * index, they can: {@link StoreRecovery} compares the segment's live-record accounting with what
 * step 3 found and drops such entries.
 *
 * <p><b>The remaining window.</b> A dump's deadline is enforced by a timer, independently of the
 * syncer: a block whose deadline passes after its data reached disk but before the syncer wrote
 * the watermark past its group is reported TIMEOUT, and if the process dies in that window the
 * block reappears after recovery, with correct, CRC-checked bytes. The same holds for a
 * {@code delete} of a key whose dump is still in flight at the crash. With a lost or stale index
 * (watermarks lost too) every auto-commit record past the surviving watermark is in that
 * situation. Failures the store itself reports from the syncer (a failed fdatasync) and rollbacks
 * decided before the publish are recorded below the watermark before the caller hears of them,
 * so with an intact index they never reappear.
 */
public final class OpenSegmentRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSegmentRecovery.class);

    /**
     * What recovery did to one segment.
     *
     * @param segmentId the segment
     * @param validRecords records in the valid prefix
     * @param liveRecords of those, records the index points at after recovery
     * @param addedRecords of those, records re-indexed by step 4
     * @param validEnd where the data now ends
     * @param truncatedBytes bytes of torn or corrupt tail dropped (not counting an unwritten tail)
     * @param scannedBytes bytes of the valid prefix read by the scan
     * @param problem what stopped the scan, if it was not a clean end
     * @param valid the valid prefix's records, with their final liveness flags
     */
    public record Report(long segmentId, int validRecords, int liveRecords, int addedRecords, long validEnd,
                         long truncatedBytes, long scannedBytes, String problem, List<SegmentFooter.Entry> valid) {
    }

    private OpenSegmentRecovery() {
    }

    /** Recovers {@code dir/seg-<segmentId>.open} with every segment the index names taken as present. */
    public static Report recover(FileIO io, Path dir, long segmentId, BlockIndex index) throws IOException {
        return recover(io, dir, segmentId, index, id -> true);
    }

    /**
     * Recovers {@code dir/seg-<segmentId>.open}; see the class comment for the steps.
     *
     * @param present whether a segment id names a segment still on disk: an index entry pointing
     *     into one that is gone (a stale index that predates its eviction) is no copy at all, so
     *     step 4 does not let it stand in the way of the record found here
     */
    public static Report recover(FileIO io, Path dir, long segmentId, BlockIndex index, LongPredicate present)
            throws IOException {
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
        List<SegmentFooter.Entry> records = scan.records();
        // Step 2: where the index's knowledge of this segment ends.
        long watermark = index.watermark(segmentId);
        // Step 3: below the watermark, the index decides.
        boolean[] live = index.pointsAt(records);
        // Step 4: above it, auto-commit records come back, the latest per key.
        Map<RecordKey, Integer> latest = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            BlockLocation loc = records.get(i).location();
            if (loc.payloadOffset() >= watermark && (loc.flags() & RecordFlags.AUTO_COMMIT) != 0 && !live[i]) {
                latest.put(records.get(i).key(), i);
            }
        }
        int added = 0;
        try (BlockIndex.Batch batch = index.batch()) {
            if (!latest.isEmpty()) {
                List<RecordKey> keys = List.copyOf(latest.keySet());
                List<BlockLocation> current = index.getAll(keys);
                for (int k = 0; k < keys.size(); k++) {
                    BlockLocation cur = current.get(k);
                    if (cur != null && present.test(cur.segmentId())) {
                        continue; // points elsewhere (or at another copy here that step 3 kept): never overwritten
                    }
                    if (cur != null) {
                        batch.remove(keys.get(k), cur); // its segment's accounting goes with it
                    }
                    int i = latest.get(keys.get(k));
                    batch.put(keys.get(k), records.get(i).location());
                    live[i] = true;
                    added++;
                }
            }
            // Step 5: the index agrees with the footer before the footer exists.
            batch.sealed(segmentId);
            index.write(batch, true);
        } catch (IndexException e) {
            throw new IOException("reconciling the index with open segment " + segmentId + " failed", e);
        }
        int liveCount = 0;
        for (boolean b : live) {
            liveCount += b ? 1 : 0;
        }
        // Step 6: clear the padding.
        List<SegmentPadding.Range> dirty = List.of();
        try (SegmentReader reader = SegmentReader.open(io, file, segmentId)) {
            SegmentPadding.Result pad = SegmentPadding.checkData(reader, records, scan.validEnd());
            if (pad.layoutProblem() == null) {
                dirty = pad.nonZero();
            }
        }
        if (!dirty.isEmpty()) {
            SegmentPadding.zero(io, file, dirty);
            LOG.info("open segment {}: cleared {} padding range(s) a torn write left ({})", segmentId, dirty.size(), dirty);
        }
        // Step 7: seal there.
        List<SegmentFooter.Entry> marked = SegmentFooter.markLiveness(records, live);
        SegmentSealer.seal(io, dir, segmentId, scan.validEnd(), marked, scan.alignment());
        long truncated = scan.stop() == SegmentScanner.Stop.CORRUPT ? Math.max(0, fileSize - scan.validEnd()) : 0;
        String problem = scan.problem() == null ? null : scan.problem().getMessage();
        Report report = new Report(segmentId, records.size(), liveCount, added, scan.validEnd(), truncated,
                scan.validEnd(), problem, marked);
        LOG.info("recovered open segment {}: {} valid records ({} live, {} re-indexed above watermark {}) up to offset {}{} in {} ms",
                segmentId, report.validRecords(), liveCount, added, watermark, report.validEnd(),
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
        return new Report(segmentId, 0, 0, 0, 0, fileSize, 0, e.getMessage(), List.of());
    }
}
