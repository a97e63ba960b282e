package io.spillway.cli;

import io.spillway.cli.bench.LookupBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spillway lookup-bench}: times {@code lookupPrefix} of a long prefix chain against a big
 * index, the call a connector's scheduler makes for every new request.
 */
@Command(name = "lookup-bench", mixinStandardHelpOptions = true,
        description = "Times lookupPrefix of a chain of --chain keys against an index of --keys keys (p50, p99).")
final class LookupCommand extends CliCommand {

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000000", description = "Indexed keys (default: ${DEFAULT-VALUE}).")
    long keys;

    @Option(names = "--chain", paramLabel = "N", defaultValue = "1000", description = "Keys per lookupPrefix call (default: ${DEFAULT-VALUE}).")
    int chain;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "2000", description = "Timed calls (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--dir", paramLabel = "D", description = "Where to build the index (default: a temporary directory, deleted).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        if (chain < 1 || keys < chain || iterations < 1) {
            throw usageError("need --chain >= 1, --keys >= --chain and --iterations >= 1; got " + chain + ", " + keys + ", " + iterations);
        }
        PrintWriter out = out();
        try (ScratchDir scratch = ScratchDir.create(dir, "lookup")) {
            LookupBenchmark.Result r;
            try (ProgressBar bar = Progress.bar("index", keys, " keys", 1)) {
                r = LookupBenchmark.run(scratch.work(), keys, chain, iterations, bar::stepTo);
            }
            out.printf(Locale.ROOT, "indexed %,d keys in %.1f s%n", r.indexedKeys(), r.fillSeconds());
            out.printf(Locale.ROOT, "lookupPrefix of %d keys (all hits), %d calls: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
                    r.chainLength(), r.iterations(), r.p50Micros() / 1000, r.p99Micros() / 1000, r.maxMicros() / 1000);
            out.flush();
        }
        return 0;
    }
}
