package io.spillway.cli;

import io.spillway.engine.cache.CacheCheck;
import io.spillway.engine.shared.SharedInspect;
import io.spillway.recovery.Fsck;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway fsck DIR [--deep] [--repair]}: checks the index against the segments and back
 * ({@link Fsck}). Exit codes: 0 clean, 1 problems found (or repaired; a missing or unreadable index
 * is one, which {@code --repair} rebuilds), 2 could not run (no store directory, or the store is
 * open in another process).
 */
@Command(name = "fsck", mixinStandardHelpOptions = true,
        description = {"Checks a store's index against its segments and back; changes nothing without --repair.",
                "Exit codes: 0 clean, 1 problems found (or repaired with --repair), 2 could not run."})
final class FsckCommand extends CliCommand {

    /** Exit code: the check could not run. */
    static final int EXIT_COULD_NOT_RUN = 2;

    @Mixin
    OfflineStoreArguments store;

    @Option(names = "--deep", description = "Also read every payload and check its CRC32C.")
    boolean deep;

    @Option(names = "--repair", description = "Repair every problem found, crash-safely (the store must not be open).")
    boolean repair;

    @Option(names = "--cache", paramLabel = "CACHE_DIR",
            description = "Also check a DRAM tier directory (cache_path), read-only; its next owner repairs what it reports.")
    Path cache;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        Path dir = store.dir;
        Fsck.Result r;
        try {
            store.existingDir();
            if (SharedInspect.isShared(dir)) { // many writers (issue 15): every writer's segments and manifest
                return SharedViews.fsck(dir, out);
            }
            r = Fsck.run(dir, store.indexDir(), deep, repair);
        } catch (IOException | RuntimeException e) {
            err.println("fsck: could not run: " + e.getMessage());
            err.flush();
            return EXIT_COULD_NOT_RUN;
        }
        out.printf("fsck %s%s%s: %d segments, %d records, %d index entries%s, %d problem(s)%s in %d ms%n", dir,
                deep ? " --deep" : "", repair ? " --repair" : "", r.segments(), r.records(), r.indexEntries(),
                deep ? ", " + r.payloadsVerified() + " payloads verified" : "", r.problems().size(),
                repair ? " (" + r.problems().stream().filter(Fsck.Problem::repaired).count() + " repaired)" : "", r.millis());
        for (Fsck.Problem p : r.problems()) {
            out.println("  problem: " + p);
        }
        for (String n : r.notices()) {
            out.println("  note: " + n);
        }
        boolean clean = r.clean();
        if (cache != null) {
            try {
                CacheCheck.Result c = CacheCheck.run(cache, deep);
                out.printf("fsck cache %s: %d slots, %d blocks cached (%d not written back), %d index entries%s, %d problem(s)%n",
                        cache, c.slots(), c.cached(), c.dirty(), c.indexEntries(), deep ? ", " + c.verified() + " verified" : "",
                        c.problems().size());
                c.problems().forEach(p -> out.println("  problem: " + p));
                c.notes().forEach(n -> out.println("  note: " + n));
                clean &= c.clean();
            } catch (IOException | RuntimeException e) {
                err.println("fsck: could not check the cache: " + e.getMessage());
                err.flush();
                return EXIT_COULD_NOT_RUN;
            }
        }
        out.flush();
        return clean ? 0 : SpillwayCli.EXIT_FAILURE;
    }
}
