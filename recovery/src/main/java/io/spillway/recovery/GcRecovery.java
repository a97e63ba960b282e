package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import java.io.IOException;
import java.util.List;

/**
 * Step 4 of {@link StoreRecovery}: finish or roll back the GC steps a crash interrupted (a
 * segment half compacted, half deleted). The GC defines its file states in
 * {@code SegmentPath} and its own numbered crash protocol; it implements this hook, and
 * {@code BlockStore.open} passes that implementation to {@link StoreRecovery#run}.
 *
 * <p>Contract: runs after the directories are listed and temporary files removed, before any
 * open segment is recovered or any sealed segment reconciled, and leaves every segment file
 * either {@code .open} or {@code .seg} (the only states the later steps know).
 */
@FunctionalInterface
public interface GcRecovery {

    /** Finishes or rolls back half-done GC steps in {@code dirs}. */
    void finishOrRollBack(List<StoreRecovery.Directory> dirs, BlockIndex index) throws IOException;

    /** Until the GC exists there is no GC state on disk: nothing to do. */
    GcRecovery NO_GC = (dirs, index) -> { };
}
