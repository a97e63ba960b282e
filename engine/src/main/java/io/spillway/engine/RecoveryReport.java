package io.spillway.engine;

import io.spillway.recovery.StoreRecovery;
import java.util.List;

/**
 * What startup recovery did when a {@link SegmentStore} was opened ({@link
 * SegmentStore#recoveryReport}). The engine's own type, so that the recovery module's stays off
 * the engine's public surface; the step numbers are those of {@code StoreRecovery}'s protocol.
 *
 * @param cleanShutdown the clean-shutdown marker was present (the last close completed)
 * @param fastPath the index was found exact and steps 6 to 10 were skipped
 * @param openRecovered {@code .open} segments recovered (step 7)
 * @param sealedReconciled sealed segments reconciled from their footers (step 8)
 * @param sealedScanned sealed segments with an unreadable footer, scanned instead (step 8)
 * @param entriesAdded index entries added (steps 7 to 9)
 * @param entriesDropped index entries dropped (step 10)
 * @param truncatedBytes torn tail bytes dropped
 * @param unsealedBytes bytes of unsealed data scanned
 * @param tempFilesRemoved temporary files removed (step 3)
 * @param foreignFiles files in the store directories that are not the store's, left alone
 * @param millis how long recovery took
 */
public record RecoveryReport(boolean cleanShutdown, boolean fastPath, int openRecovered, int sealedReconciled,
                             int sealedScanned, long entriesAdded, long entriesDropped, long truncatedBytes,
                             long unsealedBytes, int tempFilesRemoved, List<String> foreignFiles, long millis) {

    public RecoveryReport {
        foreignFiles = List.copyOf(foreignFiles);
    }

    static RecoveryReport of(StoreRecovery.Report r) {
        return new RecoveryReport(r.cleanShutdown(), r.fastPath(), r.openRecovered(), r.sealedReconciled(), r.sealedScanned(),
                r.entriesAdded(), r.entriesDropped(), r.truncatedBytes(), r.unsealedBytes(), r.tempFilesRemoved(),
                r.foreignFiles(), r.millis());
    }
}
