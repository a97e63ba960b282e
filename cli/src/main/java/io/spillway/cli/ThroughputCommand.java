package io.spillway.cli;

import io.spillway.cli.bench.ClientRun;
import io.spillway.cli.bench.PhaseResult;
import io.spillway.cli.bench.SpillwayTarget;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway throughput}: dump and load GB/s of a fresh store, next to fio's O_DIRECT
 * sequential write and read on the same directory with the same block size and thread count.
 *
 * <p>Kept for its output and options; it is {@code spillway bench}'s machinery ({@link ClientRun}
 * over a {@link SpillwayTarget}) for one block size, with fio's sequential read as the load
 * yardstick as before. {@code bench} adds the peers, random-read fio, the mixed and lookup
 * workloads, JSON and the plot.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures dump and load GB/s of a fresh store in --dir, and compares them with fio "
                + "(O_DIRECT sequential write and read, same block size and threads) on the same directory.",
                "Needs about --bytes of free space; the store and fio's files are deleted afterwards."})
final class ThroughputCommand extends CliCommand {

    @Option(names = "--dir", paramLabel = "D", required = true, description = "Directory (on the disk to measure) for the store and fio's files.")
    Path dir;

    @Option(names = "--block-size", paramLabel = "SIZE", defaultValue = "2MiB", converter = Units.ByteSizeConverter.class,
            description = "Block size (default: ${DEFAULT-VALUE}).")
    ByteSize blockSize;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Client threads (and fio jobs) (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--bytes", paramLabel = "SIZE", defaultValue = "4GiB", converter = Units.ByteSizeConverter.class,
            description = "Total bytes to dump, then load (default: ${DEFAULT-VALUE}).")
    ByteSize bytes;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Blocks per task (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--fio", negatable = true,
            description = "Also run fio and print the store's share of its bandwidth (default: when fio is on the PATH).")
    Boolean fio;

    @Option(names = "--keep", description = "Keep the store directory afterwards.")
    boolean keep;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed of keys, content and load order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        PrintWriter out = out();
        int blocksPerThread = (int) (bytes.bytes() / blockSize.bytes() / threads);
        long totalBytes = (long) blocksPerThread * threads * blockSize.bytes();
        DirArguments.createIfMissing("--dir", dir);
        long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable < totalBytes + totalBytes / 10) {
            throw new IOException("not enough space in " + dir + ": the run needs about " + Units.bytes(totalBytes + totalBytes / 10)
                    + ", " + Units.bytes(usable) + " is free (lower --bytes)");
        }
        Path storeDir = dir.resolve("spillway-throughput-" + HexFormat.of().toHexDigits(System.nanoTime()).substring(8));
        Files.createDirectory(storeDir);
        StoreConfig storeConfig = config.load().storageBackend(storeDir).kvBlockSize(blockSize).build();
        out.printf("throughput: %d threads, %s blocks, %d per task, %s; store %s%n", threads, blockSize, batch,
                Units.bytes(totalBytes), storeDir);
        out.flush();
        PhaseResult dump;
        PhaseResult load;
        try (ClientRun run = new ClientRun(threads, blockSize.bytes(), blocksPerThread, batch, seed);
             SpillwayTarget store = new SpillwayTarget(storeConfig)) {
            out.printf("direct IO %s%n", store.store().directIo() ? "yes" : "no (buffered: loads may be served from the page cache)");
            out.flush();
            try (ProgressBar bar = Progress.bar("dump", totalBytes, " MiB", 1 << 20)) {
                dump = run.dumpAll(store, bar::stepBy);
            }
            out.printf("dump %s (%s in %s), task latency %s%n", Units.gbPerSecond(dump.bytes(), dump.wall()),
                    Units.bytes(dump.bytes()), Units.seconds(dump.wall()), latency(dump));
            out.flush();
            try (ProgressBar bar = Progress.bar("load", totalBytes, " MiB", 1 << 20)) {
                load = run.loadAll(store, bar::stepBy);
            }
            out.printf("load %s (%s in %s), task latency %s%n", Units.gbPerSecond(load.bytes(), load.wall()),
                    Units.bytes(load.bytes()), Units.seconds(load.wall()), latency(load));
            out.printf("verified %d blocks, %d mismatches, %d blocks not OK%n", load.blocks(), load.mismatches(),
                    dump.failed() + load.failed());
            out.flush();
        } finally {
            if (!keep) {
                FileTrees.deleteRecursively(storeDir);
            }
        }
        if (fio == null ? Fio.onPath() : fio) {
            compareWithFio(out, dump, load, (long) blocksPerThread * blockSize.bytes());
        }
        return dump.clean() && load.clean() ? 0 : SpillwayCli.EXIT_FAILURE;
    }

    private static String latency(PhaseResult r) {
        return "p50 " + Units.millis(r.p50()) + ", p99 " + Units.millis(r.p99());
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        if (threads < 1 || threads > 255) {
            throw new CommandLine.ParameterException(cl, "--threads must be between 1 and 255, got " + threads);
        }
        if (batch < 1 || batch > 4096) {
            throw new CommandLine.ParameterException(cl, "--batch must be between 1 and 4096, got " + batch);
        }
        if (blockSize.bytes() < ClientRun.ALIGNMENT || blockSize.bytes() > ByteSize.ofMiB(256).bytes() || blockSize.bytes() % ClientRun.ALIGNMENT != 0) {
            throw new CommandLine.ParameterException(cl, "--block-size must be a multiple of 4 KiB between 4 KiB and 256 MiB, got " + blockSize);
        }
        if (bytes.bytes() / blockSize.bytes() / threads < 1) {
            throw new CommandLine.ParameterException(cl, "--bytes (" + bytes + ") must hold at least one block per thread");
        }
        if (bytes.bytes() / blockSize.bytes() / threads > Integer.MAX_VALUE) {
            throw new CommandLine.ParameterException(cl, "--bytes / --block-size is too many blocks");
        }
    }

    private void compareWithFio(PrintWriter out, PhaseResult dumpResult, PhaseResult loadResult, long bytesPerJob)
            throws IOException, InterruptedException {
        Path fioDir = dir.resolve("spillway-fio-" + HexFormat.of().toHexDigits(System.nanoTime()).substring(8));
        Files.createDirectory(fioDir);
        long write;
        long read;
        try {
            out.println("fio: " + String.join(" ", Fio.command("write", fioDir, blockSize, threads, bytesPerJob)));
            out.flush();
            write = Fio.run("write", fioDir, blockSize, threads, bytesPerJob);
            read = Fio.run("read", fioDir, blockSize, threads, bytesPerJob);
        } finally {
            Fio.deleteFiles(fioDir);
        }
        double dump = dumpResult.gbps();
        double load = loadResult.gbps();
        out.printf(Locale.ROOT, "dump %.2f GB/s = %.0f%% of fio write %.2f GB/s%n", dump, 100 * dump / (write / 1e9), write / 1e9);
        out.printf(Locale.ROOT, "load %.2f GB/s = %.0f%% of fio read %.2f GB/s%n", load, 100 * load / (read / 1e9), read / 1e9);
        out.flush();
    }
}
