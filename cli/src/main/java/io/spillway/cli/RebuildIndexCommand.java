package io.spillway.cli;

import io.spillway.recovery.RebuildIndex;
import io.spillway.recovery.StoreRecovery;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code spillway rebuild-index DIR}: moves the old index aside (kept) and rebuilds it from the
 * segments' footers, scanning only segments without one ({@link RebuildIndex}).
 */
@Command(name = "rebuild-index", mixinStandardHelpOptions = true,
        description = "Moves a store's index aside (it is kept) and rebuilds it from segment footers and scans.")
final class RebuildIndexCommand extends CliCommand {

    @Mixin
    OfflineStoreArguments store;

    @Override
    public Integer call() throws IOException {
        Path dir = store.existingDir();
        Path indexDir = store.indexDir();
        long t0 = System.nanoTime();
        RebuildIndex.Result r;
        try (ProgressBar bar = Progress.bar("rebuild-index", RebuildIndex.countSegments(dir), " segments", 1)) {
            StoreRecovery.Listener listener = (id, bytes) -> bar.step();
            r = RebuildIndex.run(dir, indexDir, listener);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        StoreRecovery.Report rep = r.recovery();
        PrintWriter out = out();
        out.printf("rebuilt %s from %d segments in %.3f s: %d entries (%d segments from footers, %d scanned without a footer,"
                        + " %d open segments recovered)%n", indexDir, r.segments(), secs, r.entries(), rep.sealedReconciled(),
                rep.sealedScanned(), rep.openRecovered());
        out.println(r.movedTo() == null ? "there was no old index" : "the old index is kept at " + r.movedTo());
        out.flush();
        return 0;
    }
}
