package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.index.IndexOptions;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The index an fsck run checks against. A store without one (deleted, or an empty directory) or
 * with one that cannot be opened is a problem of the store, not a reason for fsck not to run:
 * <ul>
 *   <li>Without repair: a {@link Fsck.Kind#BAD_INDEX} problem, and the segments are checked
 *       without an index (steps 4 and 5 need one and are skipped). Opening the store does what
 *       repair does.
 *   <li>With repair:
 *       <ol>
 *         <li>an index that cannot be opened is moved aside to {@code <index>.broken-<timestamp>}
 *             (kept, never deleted);
 *         <li>a fresh one is built from the segments, as {@code rebuild-index} does
 *             ({@link RebuildIndex#rebuild}: {@link StoreRecovery} over an empty index, which
 *             re-adds every sealed segment's live footer entries and applies the commit log);
 *         <li>the check runs against it, taking no segment's liveness from it alone (it knows
 *             every segment as sealed only because the rebuild did).
 *       </ol>
 *       A crash during step 2 leaves a partial index without the clean-shutdown marker, which the
 *       next open reconciles with every segment, as does a second repair.
 * </ul>
 */
final class FsckIndex implements AutoCloseable {

    private static final long CACHE_BYTES = 64L << 20;

    private final BlockIndex index;
    private final boolean rebuilt;

    private FsckIndex(BlockIndex index, boolean rebuilt) {
        this.index = index;
        this.rebuilt = rebuilt;
    }

    /** The index in {@code indexDir} of the store in {@code dir} (whose lock the caller holds); see the class comment. */
    static FsckIndex open(Path dir, Path indexDir, FileIO io, boolean repair, FsckFindings findings) throws IOException {
        String problem;
        boolean broken = false;
        if (!Files.isDirectory(indexDir) || isEmpty(indexDir)) {
            problem = "no index at " + indexDir;
        } else {
            try {
                return new FsckIndex(BlockIndex.open(indexDir, new IndexOptions(CACHE_BYTES, false)), false);
            } catch (IndexException e) {
                broken = true;
                problem = "the index at " + indexDir + " cannot be opened ("
                        + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()) + ")";
            }
        }
        if (!repair) {
            findings.problem(Fsck.Kind.BAD_INDEX, indexDir.toString(), problem + "; opening the store " + (broken ? "moves it aside and "
                    : "") + "rebuilds it from the segments, as fsck --repair does (index entries not checked)", false);
            return new FsckIndex(null, false);
        }
        // Step 1.
        Path aside = broken ? IndexOpener.moveAside(indexDir, "broken") : null;
        // Step 2.
        StoreRecovery.Report r = RebuildIndex.rebuild(dir, indexDir, io, null);
        findings.problem(Fsck.Kind.BAD_INDEX, indexDir.toString(), problem + "; rebuilt from the segments (" + r.sealedReconciled()
                + " from footers, " + r.sealedScanned() + " scanned, " + r.openRecovered() + " open recovered, " + r.entriesAdded()
                + " entries)" + (aside == null ? "" : "; the old one is kept at " + aside), true);
        // Step 3.
        return new FsckIndex(BlockIndex.open(indexDir, new IndexOptions(CACHE_BYTES, false)), true);
    }

    /** The index, or null when there is none to check against. */
    BlockIndex index() {
        return index;
    }

    /** Whether this run rebuilt it. */
    boolean rebuilt() {
        return rebuilt;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    @Override
    public void close() {
        if (index != null) {
            index.close();
        }
    }
}
