package io.spillway.cli;

import io.spillway.cli.bench.BenchReport;
import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.SizeResult;
import io.spillway.cli.bench.BenchReport.TargetResult;
import io.spillway.cli.bench.BenchTarget;
import io.spillway.cli.bench.BlobDbTarget;
import io.spillway.cli.bench.CacheBenchReport;
import io.spillway.cli.bench.ClientRun;
import io.spillway.cli.bench.FilePerBlockTarget;
import io.spillway.cli.bench.FioResult;
import io.spillway.cli.bench.LookupBenchmark;
import io.spillway.cli.bench.Medians;
import io.spillway.cli.bench.PageCache;
import io.spillway.cli.bench.PhaseResult;
import io.spillway.cli.bench.SpillwayTarget;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * same client run ({@link ClientRun}): dump {@code --bytes}; {@code --load-passes} times, drop the
 * page cache (where allowed) and load every block in random order; then the 70/30 mixed workload; then fio writes and
 * random-reads the same amount with the same block size and jobs. Then the lookup workload times
 * {@code lookupPrefix} of 1000 keys. Every loaded block is verified; a mismatch fails the run.
 * Before run 1, every target but fio runs once at the first block size, untimed ({@code --warmup}),
 * so that no figure times a cold JVM.
 *
 * <p>Spillway is one target per {@code --durability} mode, so that one run sets each mode against
 * its own reference: {@code none} against fio's plain write and the plain file-per-block peer,
 * {@code batch} against fio's write with {@code end_fsync=1} and file-per-block-fsync, and
 * {@code batch} against {@code none} (see {@link BenchReport.Ratios}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures Spillway against fio (the disk's limit) and against peers (file-per-block, RocksDB BlobDB) "
                + "in the same run on the same directory: dump, random load, a 70/30 Zipf mix, and prefix lookups.",
                "Prints a table; --json and --plot write every figure and ratio. Needs about --bytes of free space per target; "
                        + "everything it writes is deleted afterwards."})
final class BenchCommand extends CliCommand {

    static final List<String> ALL_WORKLOADS = List.of("dump", "load", "mixed", "lookup");
    /** The DRAM tier's benchmarks ({@link CacheBench}): asked for by name, not in the default set (they fill GiBs of /dev/shm). */
    static final String CACHE_WORKLOAD = "cache";
        static final List<String> ALL_PEERS = List.of("fio", FilePerBlockTarget.ID, FilePerBlockTarget.FSYNC_ID, BlobDbTarget.ID);

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

    /** Eight: a serving engine has several requests in flight; with 2 the disk starves (docs/disk-profile.md). */
    @Option(names = "--threads", paramLabel = "N", defaultValue = "8",
            description = "Client threads, each with one task of --batch blocks in flight, and fio's job count besides 1 (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--bytes", paramLabel = "SIZE", converter = Units.ByteSizeConverter.class,
            description = "Bytes each target dumps then loads, per block size (default: 1GiB; --quick: 64MiB).")
    ByteSize bytes;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Blocks per task, capped so one batch is at most 64 MiB (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--load-passes", paramLabel = "N",
            description = "Load every block N times per target and size, the page cache dropped before each pass; the load figure is the median pass"
                    + " (default: 3; --quick: 1).")
    Integer loadPasses;

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

    @Option(names = "--durability", paramLabel = "MODES", split = ",",
            description = "Spillway's durability modes, each measured as its own target in the same run, e.g. none,batch "
                    + "(default: the config's durability, one target).")
    List<String> durabilityNames;

    @Option(names = "--compare", paramLabel = "PEERS", split = ",",
            description = "Any of fio,file-per-block,file-per-block-fsync,rocksdb-blob, or none (default: all; fio only when installed).")
    List<String> compare;

    @Option(names = "--cache-reopen-size", paramLabel = "SIZE", converter = Units.ByteSizeConverter.class, defaultValue = "8GiB",
            description = "Arena reopened warm by the cache workload (default: ${DEFAULT-VALUE}; --quick: 64MiB).")
    ByteSize cacheReopenSize;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every figure and ratio as JSON (rewritten after every run, so a run cut short leaves what it measured).")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw throughput against block size (PNG).")
    Path plot;

    @Option(names = "--quick", description = "A smoke run under a minute: small sizes and amounts. Checks the harness, not speed.")
    boolean quick;

    @Option(names = "--drop-caches", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Drop the page cache before each load phase, where the kernel allows it (default: ${DEFAULT-VALUE}).")
    boolean dropCaches;

    @Option(names = "--warmup", negatable = true,
            description = "Before run 1, one untimed dump and load of every target but fio at the first block size, so that "
                    + "no figure times the JVM compiling its hot paths (default: on; --quick: off).")
    Boolean warmup;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed of keys, content and orders (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ConfigOption config;

    private final double loadAverageAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    private final List<String> notes = new ArrayList<>();
    private List<Durability> durabilities;
    private Map<String, String> storeSettings;

    @Override
    public Integer call() throws IOException, InterruptedException {
        applyDefaults();
        validate();
        PrintWriter out = out();
        ScratchDir scratch = ScratchDir.create(dir, "bench");
        Path work = scratch.work();
        String fsType = BenchMachine.fileSystem(work);
        StoreConfig probe = config.load().storageBackend(work.resolve("probe")).build();
        durabilities = durabilityNames == null ? List.of(probe.durability()) : parseDurabilities(durabilityNames);
        storeSettings = probe.describe();
        boolean fio = compare.contains("fio") && Fio.onPath();
        String fioStatus = FioReference.status(compare.contains("fio"), fio, fioSweep(), threads);
        if (compare.contains("fio") && !fio) {
            out.println("NOTE: " + fioStatus);
        }
        String pageCache = dropCaches ? PageCache.drop() : "--no-drop-caches";
        String pageCacheStatus = pageCache == null ? "dropped (echo 1 > /proc/sys/vm/drop_caches) before every load phase"
                : "NOT dropped (" + pageCache + "): buffered peers may be served from the page cache";
        out.printf("bench: %s in %s (%s), %d threads, %s per size and target, durability %s; loads: %s; page cache %s%n",
                String.join(",", workloads), work, fsType, threads, Units.bytes(bytes.bytes()), durabilityList(),
                loadPasses == 1 ? "one pass" : "median of " + loadPasses + " passes",
                pageCache == null ? "dropped before loads" : "NOT dropped");
        out.flush();
        Header header = new Header(scratch.root(), fsType, pageCacheStatus, fioStatus);
        List<SizeResult> sizes = List.of();
        List<List<SizeResult>> perRun = new ArrayList<>();
        BenchReport.LookupResult lookup = null;
        CacheBenchReport cache = null;
        boolean clean = true;
        try (scratch) {
            if (needsThroughput() && warmup) {
                // Untimed: a cold JVM interprets and compiles the hot paths during the first
                // target's dump (a quarter of both cores here), which a running store has long
                // done and fio, a C program, never pays. The figures are discarded.
                out.printf("warm-up: %s, every target but fio once (one load pass, no mixed phase), untimed%n", blockSizes.getFirst());
                SizeResult w = measureSize(out, work, blockSizes.getFirst(), false, false, true);
                if (!w.targets().values().stream().allMatch(BenchTable::clean)) {
                    clean = false;
                    out.println("warm-up: blocks failed or mismatched:");
                    BenchTable.printSize(out, w);
                }
            }
            if (needsThroughput()) {
                for (int run = 1; run <= runs; run++) {
                    if (runs > 1) {
                        out.printf("run %d of %d%n", run, runs);
                    }
                    List<SizeResult> thisRun = new ArrayList<>();
                    for (ByteSize size : blockSizes) {
                        SizeResult r = measureSize(out, work, size, fio, run % 2 == 0, false);
                        thisRun.add(r);
                        clean &= r.targets().values().stream().allMatch(BenchTable::clean);
                        BenchTable.printSize(out, r);
                    }
                    perRun.add(thisRun);
                    if (json != null && (run < runs || workloads.contains("lookup"))) {
                        // A run cut short (a deadline, a kill) still leaves what it measured.
                        writeJson(report(header, medians(perRun), perRun, null,
                                List.of("partial: " + run + " of " + runs + " runs done" + (workloads.contains("lookup") ? ", lookups not yet" : "")), null));
                    }
                }
                sizes = medians(perRun);
                if (runs > 1) {
                    out.printf("median of %d runs (ratios: median of the per-run ratios)%n", runs);
                    sizes.forEach(r -> BenchTable.printSize(out, r));
                }
            }
            if (workloads.contains("lookup")) {
                lookup = measureLookup(out, work);
            }
            if (workloads.contains(CACHE_WORKLOAD)) {
                cache = CacheBench.run(out, work, CacheBench.Settings.of(quick, zipf, runs, seed, cacheReopenSize.bytes()));
            }
        }
        BenchReport report = report(header, sizes, perRun, lookup, List.of(), cache);
        if (json != null) {
            writeJson(report);
            out.println("wrote " + json);
        }
        if (plot != null) {
            BenchPlot.write(report, plot);
            out.println("wrote " + plot);
        }
        out.flush();
        return clean ? 0 : SpillwayCli.EXIT_FAILURE;
    }

    /** What the report says about where and how it ran, fixed before the first run. */
    private record Header(Path root, String fsType, String pageCache, String fio) {
    }

    /** Per block size, the medians over the runs so far. */
    private List<SizeResult> medians(List<List<SizeResult>> perRun) {
        List<SizeResult> sizes = new ArrayList<>();
        for (int i = 0; i < blockSizes.size(); i++) {
            int index = i;
            sizes.add(Medians.summarise(perRun.stream().map(r -> r.get(index)).toList()));
        }
        return sizes;
    }

    private BenchReport report(Header h, List<SizeResult> sizes, List<List<SizeResult>> perRun, BenchReport.LookupResult lookup,
                               List<String> extraNotes, CacheBenchReport cache) {
        List<String> allNotes = new ArrayList<>(extraNotes);
        allNotes.addAll(notes);
        return new BenchReport(BenchReport.SCHEMA_VERSION, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                "spillway " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                BenchMachine.describe(h.root(), h.fsType(), loadAverageAtStart), settings(), h.pageCache(), h.fio(), sizes, runs > 1 ? List.copyOf(perRun) : List.of(),
                lookup, List.copyOf(allNotes), cache);
    }

    /** Writes {@code --json} whole, through a temporary file, so a reader never sees half of it. */
    private void writeJson(BenchReport report) throws IOException {
        Path tmp = json.resolveSibling(json.getFileName() + ".tmp");
        Files.writeString(tmp, Json.write(report) + "\n");
        Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
        if (loadPasses == null) {
            loadPasses = quick ? 1 : 3;
        }
        if (warmup == null) {
            warmup = !quick;
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
        if (loadPasses < 1 || loadPasses > 20) {
            throw new CommandLine.ParameterException(cl, "--load-passes must be between 1 and 20, got " + loadPasses);
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
        if (durabilityNames != null) {
            parseDurabilities(durabilityNames);
        }
    }

    private List<Durability> parseDurabilities(List<String> names) {
        List<Durability> modes = new ArrayList<>();
        for (String name : names) {
            Durability mode;
            try {
                mode = Durability.parse(name);
            } catch (IllegalArgumentException e) {
                throw usageError("--durability: '" + name + "' " + e.getMessage());
            }
            if (modes.contains(mode)) {
                throw usageError("--durability: " + name + " is listed twice");
            }
            modes.add(mode);
        }
        return List.copyOf(modes);
    }

    private String durabilityList() {
        return String.join(",", durabilities.stream().map(Durability::configName).toList());
    }

    private boolean needsThroughput() {
        return workloads.contains("dump") || workloads.contains("load") || workloads.contains("mixed");
    }

    /**
     * One block size: every target, then fio; in {@code reversed} order (fio first) on every other
     * run, so that no target always follows minutes of the others' IO (a virtual disk that slows
     * under sustained load would otherwise flatter whoever runs first).
     */
    private SizeResult measureSize(PrintWriter out, Path work, ByteSize size, boolean fio, boolean reversed, boolean warmUp)
            throws IOException, InterruptedException {
        long block = size.bytes();
        int perThread = Math.toIntExact(bytes.bytes() / block / threads);
        int b = ClientRun.effectiveBatch(batch, block);
        Map<String, TargetResult> measured = new HashMap<>();
        List<String> ids = new ArrayList<>();
        boolean several = durabilities.size() > 1;
        durabilities.forEach(mode -> ids.add(SpillwayTarget.id(mode, several)));
        compare.stream().filter(c -> !c.equals("fio")).forEach(ids::add);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            order.add(i);
        }
        if (fio) {
            order.add(-1);
        }
        if (reversed) {
            Collections.reverse(order);
        }
        FioResult fioResult = null;
        try (ClientRun run = new ClientRun(threads, block, perThread, b, seed)) {
            for (int i : order) {
                if (i < 0) {
                    fioResult = FioReference.measure(work, block, (long) perThread * threads * block, threads,
                            fioSweep(), this::dropPageCache, notes::add);
                    continue;
                }
                String id = ids.get(i);
                Path d = work.resolve(id + "-" + block);
                try (BenchTarget target = i < durabilities.size() ? spillway(d, size, durabilities.get(i), several) : open(id, d, size)) {
                    measured.put(id, measureTarget(target, run, size, warmUp));
                } finally {
                    FileTrees.deleteRecursively(d);
                }
            }
        }
        Map<String, TargetResult> targets = new LinkedHashMap<>();
        ids.forEach(id -> targets.put(id, measured.get(id)));
        return BenchReport.sizeResult(block, size.toString(), targets, fioResult);
    }

    private FioReference.Sweep fioSweep() {
        return quick ? FioReference.Sweep.quick() : FioReference.Sweep.full(threads);
    }

    private BenchTarget spillway(Path d, ByteSize size, Durability mode, boolean several) throws IOException {
        return new SpillwayTarget(config.load().storageBackend(d).kvBlockSize(size).durability(mode).build(), several);
    }

    private BenchTarget open(String id, Path d, ByteSize size) throws IOException {
        return switch (id) {
            case FilePerBlockTarget.ID -> new FilePerBlockTarget(d, false);
            case FilePerBlockTarget.FSYNC_ID -> new FilePerBlockTarget(d, true);
            case BlobDbTarget.ID -> new BlobDbTarget(d, size.bytes());
            default -> throw new IllegalArgumentException("unknown target " + id);
        };
    }

    /** One target's phases; a warm-up ({@code --warmup}) loads once and skips the mixed phase. */
    private TargetResult measureTarget(BenchTarget target, ClientRun run, ByteSize size, boolean warmUp)
            throws IOException, InterruptedException {
        String what = size + " " + target.id() + (warmUp ? " (warm-up)" : "");
        int passes = warmUp ? 1 : loadPasses;
        PhaseResult dump;
        try (ProgressBar bar = Progress.bar("dump " + what, run.totalBytes(), " MiB", 1 << 20)) {
            dump = run.dumpAll(target, bar::stepBy);
        }
        target.settle();
        // Several passes: the first one also maps what a freshly opened store touches on first use
        // (its load buffers), which a virtual machine can make cost seconds (README, Performance).
        List<PhaseResult> loads = new ArrayList<>();
        for (int pass = 1; workloads.contains("load") && pass <= passes; pass++) {
            dropPageCache();
            try (ProgressBar bar = Progress.bar("load " + what + (passes > 1 ? " pass " + pass : ""), run.totalBytes(), " MiB", 1 << 20)) {
                loads.add(run.loadAll(target, bar::stepBy));
            }
        }
        PhaseResult mixed = null;
        if (workloads.contains("mixed") && !warmUp) {
            dropPageCache();
            try (ProgressBar bar = Progress.bar("mixed " + what, -1, " MiB", 1 << 20)) {
                mixed = run.mixed(target, Duration.ofMillis((long) (mixedSeconds * 1000)), loadShare, zipf, bar::stepBy);
            }
        }
        return new TargetResult(target.label(), target.readPath(), Phase.of(dump), loads.isEmpty() ? null : Phase.of(loads), Phase.of(mixed));
    }

    private void dropPageCache() {
        if (dropCaches) {
            PageCache.drop();
        }
    }

    private BenchReport.LookupResult measureLookup(PrintWriter out, Path work) throws IOException {
        Path d = Files.createDirectory(work.resolve("lookup"));
        try (ProgressBar bar = Progress.bar("index", lookupKeys, " keys", 1)) {
            BenchReport.LookupResult r = BenchReport.LookupResult.of(LookupBenchmark.run(d, lookupKeys, 1000, lookupIterations, bar::stepTo));
            out.println(r.summary());
            return r;
        } finally {
            FileTrees.deleteRecursively(d);
        }
    }

    private BenchReport.Settings settings() {
        return new BenchReport.Settings(runs, threads, bytes.bytes(), batch, mixedSeconds, loadShare, zipf, durabilityList(),
                workloads, compare, quick, storeSettings, loadPasses, fioSweep().readWarmPass(), warmup);
    }
}
