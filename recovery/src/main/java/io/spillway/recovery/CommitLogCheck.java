package io.spillway.recovery;

import io.spillway.index.MetaKeys;
import io.spillway.segments.CommitLog;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fsck's check of the manual-commit log ({@link CommitLog}), after the segments are checked.
 *
 * <p>A reader of the log stops at the first record that does not check out. What follows it is
 * one of two things:
 * <ul>
 *   <li>a <em>torn tail</em>: an append a crash cut, never acknowledged. A notice: the next open
 *       cuts it off, and nothing is lost;
 *   <li><em>damage</em>: acknowledged records made unreadable. Two signs tell it: a record that
 *       checks out further on (the check tries every later offset on the log's alignment), or a
 *       valid prefix that ends below the sequence number the index holds (the index applied
 *       records the log no longer shows). A problem: those records would be invisible to an
 *       open, so a lost or stale index could not get their commits back.
 * </ul>
 * Records above the index's sequence number (commits the index lacks) are a problem too: the
 * next open applies them.
 *
 * <p>Repair:
 * <ol>
 *   <li>applies every readable record above the index's sequence number, found past damage too,
 *       as an open's recovery does (step 9 of {@link StoreRecovery}), in one synced index batch
 *       that also records the new sequence number;
 *   <li>if the log is damaged, rewrites it ({@link CommitLog#rewrite}: a temporary file,
 *       fdatasync, rename over the log, directory fsync) with one entry per key that the index
 *       points at exactly as logged, at the highest sequence number: the compaction an open does.
 * </ol>
 * A crash after step 1 leaves the damaged log and an index that has its commits: a second repair
 * finds nothing to apply and rewrites it.
 */
final class CommitLogCheck {

    private CommitLogCheck() {
    }

    /** Checks (and with {@code repair} fixes) the log in {@code ctx.dir()}, given the checked segments by id. */
    static void run(FsckContext ctx, Map<Long, SealedSegmentCheck.Checked> segs) throws IOException {
        FileIO io = ctx.io();
        Path dir = ctx.dir();
        CommitLog.Contents prefix = CommitLog.read(io, dir);
        List<CommitLog.Record> salvaged = prefix.tornBytes() > 0 ? afterDamage(io, dir, prefix) : List.of();
        long indexed = ctx.index() == null ? 0 : ctx.index().getMeta(MetaKeys.COMMIT_LOG_SEQ).orElse(0L);
        boolean damaged = prefix.tornBytes() > 0 && (!salvaged.isEmpty() || prefix.lastSeq() < indexed);
        List<CommitLog.Record> all = new ArrayList<>(prefix.records());
        all.addAll(salvaged);
        CommitLog.Contents readable = new CommitLog.Contents(List.copyOf(all), prefix.validEnd(), 0);
        if (prefix.tornBytes() > 0 && !damaged) {
            ctx.findings().notice(CommitLog.FILE_NAME + ": " + prefix.tornBytes() + " bytes of a torn append after offset "
                    + prefix.validEnd() + " (never acknowledged; the next open cuts them off)");
        }
        if (damaged) {
            ctx.findings().problem(Fsck.Kind.BAD_COMMIT_LOG, CommitLog.FILE_NAME, "the record at offset " + prefix.validEnd()
                    + " does not check out, and " + (salvaged.isEmpty() ? "the index holds commits up to record " + indexed
                    + ", past the last readable one (" + prefix.lastSeq() + ")" : salvaged.size() + " records after it do")
                    + " (repair rewrites the log from its readable records)", ctx.repair() && ctx.index() != null);
        }
        if (ctx.index() == null) {
            return; // nothing to apply to, or rewrite against
        }
        if (readable.lastSeq() > indexed) {
            ctx.findings().problem(Fsck.Kind.UNINDEXED_RECORD, CommitLog.FILE_NAME, "records " + (indexed + 1) + " to "
                    + readable.lastSeq() + " hold commits the index lacks (an open applies them, as repair does)", ctx.repair());
        }
        if (!ctx.repair()) {
            return;
        }
        // Step 1.
        if (readable.lastSeq() > indexed) {
            StoreRecovery.applyCommitLog(readable, indexed, ctx.index(), segs::containsKey,
                    id -> segs.get(id) == null || segs.get(id).footer() == null ? Map.of() : segs.get(id).byOffset());
        }
        // Step 2.
        if (damaged) {
            long seq = Math.max(ctx.index().getMeta(MetaKeys.COMMIT_LOG_SEQ).orElse(0L), readable.lastSeq());
            CommitLog.rewrite(io, dir, seq, CommitLogCompaction.stillIndexed(readable, ctx.index()));
        }
    }

    /** The records that check out after the damage at the end of {@code prefix}, in order. */
    private static List<CommitLog.Record> afterDamage(FileIO io, Path dir, CommitLog.Contents prefix) throws IOException {
        Path log = dir.resolve(CommitLog.FILE_NAME);
        long size;
        try (StoreFile f = io.openRead(log)) {
            size = f.size();
        }
        int unit = Math.max(io.alignment(), 512); // CommitLog's record alignment
        List<CommitLog.Record> out = new ArrayList<>();
        long last = prefix.lastSeq();
        for (long at = prefix.validEnd() + unit; at + CommitLog.HEADER_BYTES <= size; at += unit) {
            CommitLog.Contents c = CommitLog.read(SegmentPatch.suffix(io, log, at), dir);
            if (!c.records().isEmpty() && c.records().getFirst().seq() > last) {
                out.addAll(c.records());
                last = c.lastSeq();
                at += c.validEnd() - unit;
            }
        }
        return out;
    }
}
