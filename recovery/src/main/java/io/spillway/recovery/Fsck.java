package io.spillway.recovery;

import io.spillway.index.MetaKeys;
import io.spillway.segments.CommitLog;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Offline consistency check of a store directory and its index, both ways, with optional repair.
 * Run by {@code spillway fsck}; it holds the store's lock throughout, so it refuses a store that
 * another process has open, and no store can open while it runs.
 *
 * <p>Checks, in order (each problem class and what {@code repair} does with it is in
 * {@link Kind}):
 * <ol>
 *   <li>The index ({@link FsckIndex}): a missing or unopenable one is a problem; repair rebuilds it
 *       from the segments first, so the rest checks against the rebuilt one.
 *   <li>The directory ({@link StoreCheck}): our temporary files, paths with a segment's name
 *       that are not regular files, interrupted evictions, stale {@code .open} names; foreign
 *       files and NFS silly-rename files are notices and never touched.
 *   <li>Each segment: an {@code .open} one is a problem (repair: {@link OpenSegmentRecovery}, as
 *       an open does); a sealed one must have a valid header, footer, and group and record
 *       headers that agree with the footer, and with {@code deep} payloads that match their
 *       CRC32C and zero padding ({@link SealedSegmentCheck}, which plans and applies every repair
 *       of a segment file crash-safely through {@link SegmentRewrite}).
 *   <li>The {@link CommitLog}: damage that hides acknowledged commits, and commits the index lacks
 *       ({@link CommitLogCheck}).
 *   <li>The index against the segments both ways ({@link IndexCrossCheck}).
 * </ol>
 * Without {@code repair} nothing is written anywhere (the store's {@code LOCK} file, which fsck
 * takes like any opener, aside). Repair never gives up a record whose header and payload CRCs
 * check out, except in a file that nothing proves to be its segment, which is moved aside, never
 * deleted.
 *
 * <p>Every read of the directory and its segment files goes through one {@link FileIO}: by
 * default the one the store itself would probe for (buffered), or one the caller supplies (a
 * simulated disk); repairs write through it too. {@link #checkSegmentFile} runs step 3 on one
 * sealed file, with no index and no lock.
 */
public final class Fsck {

    /** What a problem is about, and what {@code --repair} does with it. */
    public enum Kind {
        /** A temporary file of ours left by a crash: deleted. */
        TEMP_FILE,
        /** An {@code .open} segment (recovered and sealed, as an open does) or a stale {@code .open} name (deleted). */
        UNSEALED_SEGMENT,
        /** A {@code .deleted} segment whose eviction a crash interrupted: finished, as an open does. */
        INTERRUPTED_EVICTION,
        /** A segment's name on a directory, dangling link, FIFO or device: moved aside, its entries dropped. */
        NOT_A_FILE,
        /** A damaged segment header: rewritten from what the footer or records prove; else the file is moved aside. */
        BAD_SEGMENT,
        /** A footer that does not read: the file cut back to a whole footer followed by appended bytes, or resealed from a scan of its records. */
        BAD_FOOTER,
        /** A group header block that disagrees with the footer: rewritten from the footer. */
        CORRUPT_HEADER,
        /** A payload that fails its CRC32C ({@code deep}): its index entry dropped (its bytes are lost). */
        CORRUPT_PAYLOAD,
        /** Non-zero padding ({@code deep}): zeroed. */
        NONZERO_PADDING,
        /** An index entry that points at no matching record: dropped. */
        DANGLING_ENTRY,
        /** Index entries into a segment that is not on disk or not readable as one: dropped. */
        MISSING_SEGMENT,
        /** Live records (or logged commits) the index lacks: indexed. */
        UNINDEXED_RECORD,
        /** No index, or one that cannot be opened: rebuilt from the segments (a broken one is kept aside). */
        BAD_INDEX,
        /** A commit log whose damage hides acknowledged commits: rewritten from its readable records. */
        BAD_COMMIT_LOG
    }

    /**
     * One problem.
     *
     * @param kind what it is
     * @param where the file, segment or key concerned
     * @param detail what was found
     * @param repaired whether {@code --repair} fixed it
     */
    public record Problem(Kind kind, String where, String detail, boolean repaired) {
        @Override
        public String toString() {
            return kind + " " + where + ": " + detail + (repaired ? " [repaired]" : "");
        }
    }

    /**
     * The outcome.
     *
     * @param segments segment files checked
     * @param records footer entries (records) seen
     * @param indexEntries index entries checked
     * @param payloadsVerified payload CRCs checked (deep only)
     * @param problems every problem found
     * @param notices things worth knowing that are not problems
     * @param millis how long it took
     */
    public record Result(int segments, long records, long indexEntries, long payloadsVerified, List<Problem> problems,
                         List<String> notices, long millis) {
        public boolean clean() {
            return problems.isEmpty();
        }
    }

    private Fsck() {
    }

    /**
     * Checks the store in {@code dir} whose index is {@code indexDir}.
     *
     * @throws io.spillway.segments.io.StoreLockedException if another process has the store open
     * @throws IOException if the check cannot run (no store directory, an IO error)
     */
    public static Result run(Path dir, Path indexDir, boolean deep, boolean repair) throws IOException {
        return run0(dir, indexDir, deep, repair, null);
    }

    /**
     * Checks the store in {@code dir} as {@link #run(Path, Path, boolean, boolean)} does, reading
     * the directory and its segment files through {@code io} (whose files may live elsewhere, on a
     * simulated disk, at the same paths). The lock is still taken on the real {@code dir}, and the
     * index is opened from the real {@code indexDir}; {@code repair} writes through {@code io}.
     */
    public static Result run(Path dir, Path indexDir, boolean deep, boolean repair, FileIO io) throws IOException {
        return run0(dir, indexDir, deep, repair, Objects.requireNonNull(io, "io"));
    }

    private static Result run0(Path dir, Path indexDir, boolean deep, boolean repair, FileIO io) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no store directory");
        }
        long t0 = System.nanoTime();
        FsckFindings findings = new FsckFindings();
        try (StoreLock lock = StoreLock.acquire(dir); FsckIndex index = FsckIndex.open(dir, indexDir, io, repair, findings)) {
            OptionalInt stored = OptionalInt.empty();
            if (index.index() != null && index.index().getMeta(MetaKeys.ALIGNMENT).isPresent()) {
                stored = OptionalInt.of(Math.toIntExact(index.index().getMeta(MetaKeys.ALIGNMENT).get()));
            }
            int alignment = stored.isPresent() ? stored.getAsInt() : io != null ? io.alignment() : RebuildIndex.alignmentOf(dir);
            FileIO dirIo = io != null ? io : DirectIoProbe.forDirectory(dir, false, alignment);
            StoreCheck.run(new FsckContext(dir, indexDir, dirIo, index.index(), stored, deep, repair, index.rebuilt(), new HashSet<>(),
                    findings));
        }
        return new Result(findings.segments, findings.records, findings.indexEntries, findings.payloads, findings.problems(),
                findings.notices(), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * What {@code fsck --deep} reports about one sealed segment file: its header, footer, group
     * and record headers against the footer, payload CRCs and padding, with no index and no lock.
     * Without an index a corrupt payload cannot be told from dead space, so every payload CRC
     * mismatch is a problem here. Reads through {@code io} only; writes nothing. Non-zero padding
     * is reported at its own offset ({@link SegmentPadding}).
     */
    public static List<Problem> checkSegmentFile(FileIO io, Path file, long segmentId) throws IOException {
        FsckFindings findings = new FsckFindings();
        FsckContext ctx = new FsckContext(file.getParent(), file.getParent().resolve("index"), io, null, OptionalInt.empty(), true,
                false, false, new HashSet<>(), findings);
        SealedSegmentCheck.Checked c = SealedSegmentCheck.check(ctx, file, segmentId);
        if (c != null) {
            c.corrupt().forEach((offset, e) -> findings.problem(Kind.CORRUPT_PAYLOAD, file.getFileName() + " offset " + offset,
                    "payload CRC mismatch for key " + e.key(), false));
        }
        return findings.problems();
    }
}
