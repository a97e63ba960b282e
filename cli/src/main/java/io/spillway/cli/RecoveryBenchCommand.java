package io.spillway.cli;

import io.spillway.cli.bench.RecoveryBenchmark;
import io.spillway.engine.config.ByteSize;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spillway recovery-bench --dir D}: the recovery times of {@link RecoveryBenchmark}. */
@Command(name = "recovery-bench", mixinStandardHelpOptions = true,
        description = "Times a clean open, a crash open of one unsealed segment against a sequential read of it, and rebuild-index.")
final class RecoveryBenchCommand extends CliCommand {

    @Option(names = "--dir", required = true, paramLabel = "D", description = "A scratch directory (must be empty or absent).")
    Path dir;

    @Option(names = "--keys", defaultValue = "1000000", description = "Indexed blocks for the clean open (default: ${DEFAULT-VALUE}).")
    long keys;

    @Option(names = "--unsealed", defaultValue = "1GiB", paramLabel = "BYTES", description = "Unsealed segment size (default: ${DEFAULT-VALUE}).")
    String unsealed;

    @Option(names = "--segments", defaultValue = "100", description = "Sealed segments for rebuild-index (default: ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--records", defaultValue = "512", description = "Records per sealed segment (default: ${DEFAULT-VALUE}).")
    int records;

    @Override
    public Integer call() throws IOException {
        DirArguments.createIfMissing("--dir", dir);
        try (var s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new IllegalArgumentException("--dir " + dir + " is not empty");
            }
        }
        long bytes = ByteSize.parse(unsealed).bytes();
        RecoveryBenchmark.Result r = RecoveryBenchmark.run(dir, keys, bytes, segments, records);
        PrintWriter out = out();
        out.printf(Locale.ROOT, "clean open, %d indexed blocks: %.3f s (of which the index open with its key table: %.3f s)%n",
                keys, r.cleanOpen(), r.indexOpen());
        double read = Math.min(r.readBefore(), r.readAfter());
        out.printf(Locale.ROOT, "crash open, one unsealed segment of %d MiB: open %.3f s (recovery %.3f s); sequential read of it (%s,"
                        + " 16 MiB reads): %.3f s before, %.3f s after; open/read %.2f, recovery/read %.2f%n", r.unsealedBytes() >> 20,
                r.crashOpen(), r.crashRecovery(), r.directIo() ? "O_DIRECT" : "buffered", r.readBefore(), r.readAfter(),
                r.crashOpen() / read, r.crashRecovery() / read);
        out.printf(Locale.ROOT, "rebuild-index, %d sealed segments, %d entries: %.3f s%n", segments, r.rebuiltEntries(), r.rebuild());
        out.flush();
        return 0;
    }
}
