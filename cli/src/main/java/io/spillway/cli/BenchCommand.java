package io.spillway.cli;

import io.spillway.cli.bench.BenchReport;
import io.spillway.cli.bench.BenchReport.FioResult;
import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.SizeResult;
import io.spillway.cli.bench.BenchReport.TargetResult;
import io.spillway.cli.bench.BenchTarget;
import io.spillway.cli.bench.BlobDbTarget;
import io.spillway.cli.bench.CacheBenchReport;
import io.spillway.cli.bench.ClientRun;
import io.spillway.cli.bench.FilePerBlockTarget;
import io.spillway.cli.bench.LookupBenchmark;
import io.spillway.cli.bench.Medians;
import io.spillway.cli.bench.PageCache;
import io.spillway.cli.bench.PhaseResult;
import io.spillway.cli.bench.SpillwayTarget;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway bench}: Spillway's throughput next to the disk's limit (fio) and next to the
 * stores a user would otherwise pick, all in the same run on the same directory, because on a
 * shared or virtual disk only same-run ratios mean anything.
 *
 * <p>For each block size, each target in turn gets a fresh directory under {@code --dir} and the
 * same client run ({@link ClientRun}): dump {@code --bytes}, drop the page cache (where allowed),
 * load every block in random order, then the 70/30 mixed workload; then fio writes and
 * random-reads the same amount with the same block size and jobs. Then the lookup workload times
 * {@code lookupPrefix} of 1000 keys. Every loaded block is verified; a mismatch fails the run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures Spillway against fio (the disk's limit) and against peers (file-per-block, RocksDB BlobDB) "
                + "in the same run on the same directory: dump, random load, a 70/30 Zipf mix, and prefix lookups.",
                "Prints a table; --json and --plot write every figure and ratio. Needs about --bytes of free space per target; "
                        + "everything it writes is deleted afterwards."})
final class BenchCommand implements Callable<Integer> {

    static final List<String> ALL_WORKLOADS = List.of("dump", "load", "mixed", "lookup");
    /** The DRAM tier's benchmarks ({@link CacheBench}): asked for by name, not in the default set (they fill GiBs of /dev/shm). */
    static final String CACHE_WORKLOAD = "cache";
    static final List<String> ALL_PEERS = List.of("fio", FilePerBlockTarget.ID, BlobDbTarget.ID);
    /** A batch's buffers are capped at this many bytes per thread, so 32 MiB blocks do not take GiBs of memory. */
    static final long MAX_BATCH_BYTES = 64L << 20;

    @Option(names = "--dir", paramLabel = "D",
            description = "Directory on the file system to measure (local disk, tmpfs, a FUSE mount). Default: a new directory under java.io.tmpdir.")
    Path dir;

    @Option(names = "--workloads", paramLabel = "W", split = ",", description = "Any of dump,load,mixed,lookup (default: all), and cache: the DRAM tier's hit, Zipf and reopen benchmarks"
                    + " (not in the default; its arenas go under /dev/shm).")
    List<String> workloads;

    @Option(names = "--block-sizes", paramLabel = "SIZES", split = ",", converter = Units.ByteSizeConverter.class,
            description = "Block sizes (default: 64KiB,256KiB,2MiB,32MiB; --quick: 256KiB,2MiB).")
    List<ByteSize> blockSizes;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "1",
            description = "Repeat the whole sequence N times; report medians, and ratios as medians of per-run ratios (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Client threads, and fio jobs (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--bytes", paramLabel = "SIZE", converter = Units.ByteSizeConverter.class,
            description = "Bytes each target dumps then loads, per block size (default: 1GiB; --quick: 64MiB).")
    ByteSize bytes;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Blocks per task, capped so one batch is at most 64 MiB (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--mixed-seconds", paramLabel = "S", description = "Duration of the mixed workload per target and size (default: 5; --quick: 1).")
    Double mixedSeconds;

    @Option(names = "--mixed-load-share", paramLabel = "P", defaultValue = "0.7", description = "Share of loads in the mixed workload (default: ${DEFAULT-VALUE}).")
    double loadShare;

    @Option(names = "--zipf", paramLabel = "S", defaultValue = "0.99", description = "Zipf exponent of key popularity in the mixed workload (default: ${DEFAULT-VALUE}).")
    double zipf;

    @Option(names = "--lookup-keys", paramLabel = "N", description = "Indexed keys for the lookup workload (default: 1000000; --quick: 100000).")
    Long lookupKeys;

    @Option(names = "--lookup-iterations", paramLabel = "N", description = "Timed lookupPrefix calls (default: 2000; --quick: 300).")
    Integer lookupIterations;

    @Option(names = "--compare", paramLabel = "PEERS", split = ",",
            description = "Any of fio,file-per-block,rocksdb-blob, or none (default: all; fio only when installed).")
    List<String> compare;

    @Option(names = "--cache-reopen-size", paramLabel = "SIZE", converter = Units.ByteSizeConverter.class, defaultValue = "8GiB",
            description = "Arena reopened warm by the cache workload (default: ${DEFAULT-VALUE}; --quick: 64MiB).")
    ByteSize cacheReopenSize;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every figure and ratio as JSON.")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw throughput against block size (PNG).")
    Path plot;

    @Option(names = "--quick", description = "A smoke run under a minute: small sizes and amounts. Checks the harness, not speed.")
    boolean quick;

    @Option(names = "--drop-caches", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Drop the page cache before each load phase, where the kernel allows it (default: ${DEFAULT-VALUE}).")
    boolean dropCaches;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed of keys, content and orders (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ConfigOption config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final List<String> notes = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        applyDefaults();
        validate();
        PrintWriter out = spec.commandLine().getOut();
        Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("spillway-bench");
        Path work = Files.createTempDirectory(root, "bench-");
        String fsType = fileSystem(work);
        StoreConfig probe = config.load().storageBackend(work.resolve("probe")).build();
        boolean fio = compare.contains("fio") && Fio.onPath();
        String fioStatus = !compare.contains("fio") ? "not requested"
                : fio ? "fio --direct=1 --ioengine=psync, same directory, block size and jobs"
                : "fio is not installed: no physical-limit figures (install fio for them)";
        if (compare.contains("fio") && !fio) {
            out.println("NOTE: " + fioStatus);
        }
        String pageCache = dropCaches ? PageCache.drop() : "--no-drop-caches";
        String pageCacheStatus = pageCache == null ? "dropped (echo 1 > /proc/sys/vm/drop_caches) before every load phase"
                : "NOT dropped (" + pageCache + "): buffered peers may be served from the page cache";
        out.printf("bench: %s in %s (%s), %d threads, %s per size and target, durability %s; page cache %s%n",
                String.join(",", workloads), work, fsType, threads, Units.bytes(bytes.bytes()), probe.durability(),
                pageCache == null ? "dropped before loads" : "NOT dropped");
        out.flush();
        List<SizeResult> sizes = new ArrayList<>();
        List<List<SizeResult>> perRun = new ArrayList<>();
        BenchReport.LookupResult lookup = null;
        CacheBenchReport cache = null;
        boolean clean = true;
        try {
            if (needsThroughput()) {
                for (int run = 1; run <= runs; run++) {
                    if (runs > 1) {
                        out.printf("run %d of %d%n", run, runs);
                    }
                    List<SizeResult> thisRun = new ArrayList<>();
                    for (ByteSize size : blockSizes) {
                        SizeResult r = measureSize(out, work, size, fio);
                        thisRun.add(r);
                        clean &= r.targets().values().stream().allMatch(BenchCommand::clean);
                        printSize(out, r);
                    }
                    perRun.add(thisRun);
                }
                for (int i = 0; i < blockSizes.size(); i++) {
                    int index = i;
                    sizes.add(Medians.summarise(perRun.stream().map(r -> r.get(index)).toList()));
                }
                if (runs > 1) {
                    out.printf("median of %d runs (ratios: median of the per-run ratios)%n", runs);
                    sizes.forEach(r -> printSize(out, r));
                }
            }
            if (workloads.contains("lookup")) {
                lookup = measureLookup(out, work);
            }
            if (workloads.contains(CACHE_WORKLOAD)) {
                cache = CacheBench.run(out, work, CacheBench.Settings.of(quick, zipf, runs, seed, cacheReopenSize.bytes()));
            }
        } finally {
            Files2.deleteRecursively(work);
            if (dir == null) {
                Files2.deleteRecursively(root);
            }
        }
        BenchReport report = new BenchReport(BenchReport.SCHEMA_VERSION, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                "spillway " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                machine(root, fsType), settings(probe), pageCacheStatus, fioStatus, sizes, runs > 1 ? perRun : List.of(), lookup,
                List.copyOf(notes), cache);
        if (json != null) {
            Files.writeString(json, Json.write(report) + "\n");
            out.println("wrote " + json);
        }
        if (plot != null) {
            BenchPlot.write(report, plot);
            out.println("wrote " + plot);
        }
        out.flush();
        return clean ? 0 : SpillwayCli.EXIT_FAILURE;
    }

    private void applyDefaults() {
        if (workloads == null) {
            workloads = ALL_WORKLOADS;
        }
        if (compare == null) {
            compare = ALL_PEERS;
        } else if (compare.equals(List.of("none"))) {
            compare = List.of();
        }
        if (blockSizes == null) {
            blockSizes = quick ? List.of(ByteSize.ofKiB(256), ByteSize.ofMiB(2))
                    : List.of(ByteSize.ofKiB(64), ByteSize.ofKiB(256), ByteSize.ofMiB(2), ByteSize.ofMiB(32));
        }
        if (bytes == null) {
            bytes = quick ? ByteSize.ofMiB(64) : ByteSize.ofGiB(1);
        }
        if (mixedSeconds == null) {
            mixedSeconds = quick ? 1.0 : 5.0;
        }
        if (lookupKeys == null) {
            lookupKeys = quick ? 100_000L : 1_000_000L;
        }
        if (lookupIterations == null) {
            lookupIterations = quick ? 300 : 2000;
        }
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        for (String w : workloads) {
            if (!ALL_WORKLOADS.contains(w) && !w.equals(CACHE_WORKLOAD)) {
                throw new CommandLine.ParameterException(cl, "--workloads: unknown '" + w + "'; allowed: " + String.join(",", ALL_WORKLOADS)
                        + "," + CACHE_WORKLOAD);
            }
        }
        for (String c : compare) {
            if (!ALL_PEERS.contains(c)) {
                throw new CommandLine.ParameterException(cl, "--compare: unknown '" + c + "'; allowed: " + String.join(",", ALL_PEERS) + " or none");
            }
        }
        if (runs < 1 || runs > 100) {
            throw new CommandLine.ParameterException(cl, "--runs must be between 1 and 100, got " + runs);
        }
        if (threads < 1 || threads > 255) {
            throw new CommandLine.ParameterException(cl, "--threads must be between 1 and 255, got " + threads);
        }
        if (batch < 1 || batch > 4096) {
            throw new CommandLine.ParameterException(cl, "--batch must be between 1 and 4096, got " + batch);
        }
        for (ByteSize b : blockSizes) {
            if (b.bytes() < ClientRun.ALIGNMENT || b.bytes() > ByteSize.ofMiB(256).bytes() || b.bytes() % ClientRun.ALIGNMENT != 0) {
                throw new CommandLine.ParameterException(cl, "--block-sizes: each must be a multiple of 4 KiB between 4 KiB and 256 MiB, got " + b);
            }
            if (bytes.bytes() / b.bytes() / threads < 1) {
                throw new CommandLine.ParameterException(cl, "--bytes (" + bytes + ") must hold at least one " + b + " block per thread");
            }
        }
        if (!(mixedSeconds > 0) || !(loadShare >= 0 && loadShare <= 1) || !(zipf >= 0)) {
            throw new CommandLine.ParameterException(cl, "need --mixed-seconds > 0, --mixed-load-share in [0, 1] and --zipf >= 0");
        }
        if (lookupKeys < 1000 || lookupIterations < 1) {
            throw new CommandLine.ParameterException(cl, "need --lookup-keys >= 1000 and --lookup-iterations >= 1");
        }
    }

    private boolean needsThroughput() {
        return workloads.contains("dump") || workloads.contains("load") || workloads.contains("mixed");
    }

    /** The batch actually used for {@code blockSize}: {@code --batch}, capped at 64 MiB of buffers. */
    static int effectiveBatch(int batch, long blockSize) {
        return (int) Math.max(1, Math.min(batch, MAX_BATCH_BYTES / blockSize));
    }

    private SizeResult measureSize(PrintWriter out, Path work, ByteSize size, boolean fio) throws IOException, InterruptedException {
        long block = size.bytes();
        int perThread = Math.toIntExact(bytes.bytes() / block / threads);
        int b = effectiveBatch(batch, block);
        Map<String, TargetResult> targets = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        ids.add(SpillwayTarget.ID);
        compare.stream().filter(c -> !c.equals("fio")).forEach(ids::add);
        try (ClientRun run = new ClientRun(threads, block, perThread, b, seed)) {
            for (String id : ids) {
                Path d = work.resolve(id + "-" + block);
                try (BenchTarget target = open(id, d, size)) {
                    targets.put(id, measureTarget(target, run, size));
                } finally {
                    Files2.deleteRecursively(d);
                }
            }
        }
        FioResult fioResult = null;
        if (fio) {
            fioResult = runFio(work, size, (long) perThread * block);
        }
        return BenchReport.sizeResult(block, size.toString(), targets, fioResult);
    }

    private BenchTarget open(String id, Path d, ByteSize size) throws IOException {
        return switch (id) {
            case SpillwayTarget.ID -> new SpillwayTarget(config.load().storageBackend(d).kvBlockSize(size).build());
            case FilePerBlockTarget.ID -> new FilePerBlockTarget(d);
            case BlobDbTarget.ID -> new BlobDbTarget(d, size.bytes());
            default -> throw new IllegalArgumentException("unknown target " + id);
        };
    }

    private TargetResult measureTarget(BenchTarget target, ClientRun run, ByteSize size) throws IOException, InterruptedException {
        String what = size + " " + target.id();
        PhaseResult dump;
        try (ProgressBar bar = Progress.bar("dump " + what, run.totalBytes(), " MiB", 1 << 20)) {
            dump = run.dumpAll(target, bar::stepBy);
        }
        target.settle();
        PhaseResult load = null;
        if (workloads.contains("load")) {
            dropPageCache();
            try (ProgressBar bar = Progress.bar("load " + what, run.totalBytes(), " MiB", 1 << 20)) {
                load = run.loadAll(target, bar::stepBy);
            }
        }
        PhaseResult mixed = null;
        if (workloads.contains("mixed")) {
            dropPageCache();
            try (ProgressBar bar = Progress.bar("mixed " + what, -1, " MiB", 1 << 20)) {
                mixed = run.mixed(target, Duration.ofMillis((long) (mixedSeconds * 1000)), loadShare, zipf, bar::stepBy);
            }
        }
        return new TargetResult(target.label(), target.readPath(), Phase.of(dump), Phase.of(load), Phase.of(mixed));
    }

    private void dropPageCache() {
        if (dropCaches) {
            PageCache.drop();
        }
    }

    private FioResult runFio(Path work, ByteSize size, long bytesPerJob) throws IOException, InterruptedException {
        Path fioDir = Files.createDirectory(work.resolve("fio-" + size.bytes()));
        try {
            List<String> writeCmd = Fio.command("write", fioDir, size, threads, bytesPerJob);
            List<String> readCmd = Fio.command("randread", fioDir, size, threads, bytesPerJob);
            long write = Fio.run("write", fioDir, size, threads, bytesPerJob);
            dropPageCache();
            long read = Fio.run("randread", fioDir, size, threads, bytesPerJob);
            return new FioResult("ok", BenchReport.Ratios.ratio((double) write, 1e9), BenchReport.Ratios.ratio((double) read, 1e9),
                    writeCmd, readCmd);
        } catch (IOException e) {
            notes.add("fio failed at " + size + ": " + e.getMessage());
            return new FioResult("failed: " + e.getMessage(), null, null, List.of(), List.of());
        } finally {
            Fio.deleteFiles(fioDir);
        }
    }

    private BenchReport.LookupResult measureLookup(PrintWriter out, Path work) throws IOException {
        Path d = Files.createDirectory(work.resolve("lookup"));
        try (ProgressBar bar = Progress.bar("index", lookupKeys, " keys", 1)) {
            LookupBenchmark.Result r = LookupBenchmark.run(d, lookupKeys, 1000, lookupIterations, bar::stepTo);
            out.printf(Locale.ROOT, "lookupPrefix of %d keys against %,d indexed keys, %d calls: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
                    r.chainLength(), r.indexedKeys(), r.iterations(), r.p50Micros() / 1000, r.p99Micros() / 1000, r.maxMicros() / 1000);
            return new BenchReport.LookupResult(r.indexedKeys(), r.chainLength(), r.iterations(), r.p50Micros() / 1000,
                    r.p99Micros() / 1000, r.maxMicros() / 1000);
        } finally {
            Files2.deleteRecursively(d);
        }
    }

    private static boolean clean(TargetResult t) {
        for (Phase p : new Phase[] {t.dump(), t.load(), t.mixed()}) {
            if (p != null && (p.failed() != 0 || p.mismatches() != 0)) {
                return false;
            }
        }
        return true;
    }

    /** The rows of one block size: each target, fio, then Spillway's ratios. */
    static void printSize(PrintWriter out, SizeResult r) {
        String fmt = "%-9s %-48s %10s %10s %10s%n";
        out.printf(Locale.ROOT, fmt, "block", "target", "dump GB/s", "load GB/s", "mixed GB/s");
        boolean first = true;
        for (TargetResult t : r.targets().values()) {
            out.printf(Locale.ROOT, fmt, first ? r.blockSizeLabel() : "", t.label(), rate(t.dump()), rate(t.load()), rate(t.mixed()));
            first = false;
            if (!clean(t)) {
                out.printf(Locale.ROOT, "%-9s %s: %d blocks failed, %d mismatched%n", "", t.label(),
                        sum(t, true), sum(t, false));
            }
        }
        if (r.fio() != null) {
            out.printf(Locale.ROOT, fmt, "", "fio write / randread (O_DIRECT)", num(r.fio().writeGbps()), num(r.fio().randreadGbps()), "-");
        }
        Map<String, String[]> byPeer = new LinkedHashMap<>();
        r.ratios().forEach((k, v) -> {
            String[] parts = k.split("/", 2);
            String[] row = byPeer.computeIfAbsent(parts[1], p -> new String[] {"-", "-", "-"});
            int col = switch (parts[0]) {
                case "dump" -> 0;
                case "load" -> 1;
                default -> 2;
            };
            row[col] = v == null ? "-" : String.format(Locale.ROOT, "%.2fx", v);
        });
        byPeer.forEach((peer, row) -> out.printf(Locale.ROOT, fmt, "", "Spillway / " + peer, row[0], row[1], row[2]));
        out.println();
        out.flush();
    }

    private static long sum(TargetResult t, boolean failed) {
        long n = 0;
        for (Phase p : new Phase[] {t.dump(), t.load(), t.mixed()}) {
            if (p != null) {
                n += failed ? p.failed() : p.mismatches();
            }
        }
        return n;
    }

    private static String rate(Phase p) {
        return p == null ? "-" : String.format(Locale.ROOT, "%.3f", p.gbps());
    }

    private static String num(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String fileSystem(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private BenchReport.Machine machine(Path root, String fsType) {
        String kernel;
        try {
            kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            kernel = System.getProperty("os.version");
        }
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : -1;
        return new BenchReport.Machine(System.getProperty("os.name"), kernel, Runtime.getRuntime().availableProcessors(), memory,
                Runtime.version().toString(), root.toString(), fsType, loadAverageAtStart);
    }

    private final double loadAverageAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

    private BenchReport.Settings settings(StoreConfig probe) {
        return new BenchReport.Settings(runs, threads, bytes.bytes(), batch, mixedSeconds, loadShare, zipf, probe.durability().toString(),
                workloads, compare, quick);
    }
}
