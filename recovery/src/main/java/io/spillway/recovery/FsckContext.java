package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What every pass of one fsck run works with.
 *
 * @param dir the store directory
 * @param indexDir where its index lives (a directory fsck does not list as foreign)
 * @param io how its files are read (and, with {@code repair}, rewritten)
 * @param index the index, or null when there is none to check against
 * @param storeAlignment the alignment the index records for the store, if known
 * @param deep whether payloads and padding are read
 * @param repair whether problems are fixed
 * @param indexRebuilt whether this run rebuilt the index: it then knows every segment as sealed
 *     only because the rebuild reconciled it, not from the writers, so no segment's liveness is
 *     taken from it alone
 * @param onDisk the ids of the segments on disk as regular files (filled in by step 1)
 * @param findings where problems and notices go
 */
record FsckContext(Path dir, Path indexDir, FileIO io, BlockIndex index, OptionalInt storeAlignment, boolean deep, boolean repair,
                   boolean indexRebuilt, Set<Long> onDisk, FsckFindings findings) {

    /**
     * Whether the index is the whole truth about which of segment {@code id}'s records are live:
     * it knew the segment as sealed before this run, so a live footer entry it lacks was deleted.
     */
    boolean indexKnowsSealed(long id) throws IOException {
        return index != null && !indexRebuilt && index.knownSealed(id);
    }
}
