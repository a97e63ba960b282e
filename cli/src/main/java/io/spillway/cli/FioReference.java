package io.spillway.cli;

import io.spillway.cli.bench.FioResult;
import io.spillway.cli.bench.FioResult.Figure;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The bench's physical limit for one block size: fio at its best on the same directory, with the
 * same bytes, instead of one request in flight per thread (which understates a deep-queue disk's
 * random reads by up to 3x and made ratios above 1 meaningless).
 *
 * <p>Steps, for one block size:
 * <ol>
 *   <li>for each file layout (one job with one file of all the bytes; one job per client thread,
 *       each with its own file, as each writer appends its own segment), and each engine and
 *       depth of the {@link Sweep}: delete the layout's files, write them anew (fio lays them out
 *       with fallocate, as the store preallocates segments), then once more with
 *       {@code --end_fsync=1};
 *   <li>drop the page cache, then random-read the layout's files at each engine and depth, the
 *       timed pass after an untimed one in the same fio run ({@link FioJob#warmPass()} says why;
 *       the load it stands for is the median of several passes, see {@code BenchReport.Phase});
 *   <li>the old reference: {@code psync} write and randread with one job per client thread;
 *   <li>keep the best of each kind, with the settings that reached it.
 * </ol>
 * A configuration fio refuses (an engine this kernel or fio build lacks) is noted and skipped.
 */
final class FioReference {

    /**
     * Which configurations to try, and whether each random read is timed on a second pass after an
     * untimed one ({@link FioJob#warmPass()}).
     */
    record Sweep(List<String> engines, List<Integer> depths, List<Integer> jobs, boolean readWarmPass) {

        /** libaio and io_uring, depths 16 and 32, one job and one per client thread; reads warmed. */
        static Sweep full(int clientThreads) {
            return new Sweep(List.of("libaio", "io_uring"), List.of(16, 32),
                    clientThreads == 1 ? List.of(1) : List.of(1, clientThreads), true);
        }

        /** One configuration, one pass, for smoke runs. */
        static Sweep quick() {
            return new Sweep(List.of("libaio"), List.of(16), List.of(1), false);
        }
    }

    private FioReference() {
    }

    /**
     * Runs the sweep in a fresh directory under {@code work} and deletes it afterwards.
     *
     * @param dropPageCache run before every read phase
     * @param notes         receives one line per configuration that failed
     */
    static FioResult measure(Path work, long blockSize, long totalBytes, int clientThreads, Sweep sweep, Runnable dropPageCache,
                             Consumer<String> notes) throws IOException, InterruptedException {
        Path root = Files.createDirectory(work.resolve("fio-" + blockSize));
        List<Figure> all = new ArrayList<>();
        try {
            for (int jobs : sweep.jobs()) {
                Path layout = Files.createDirectory(root.resolve("jobs" + jobs));
                long perJob = Math.max(blockSize, totalBytes / jobs / blockSize * blockSize);
                for (String engine : sweep.engines()) {
                    for (int depth : sweep.depths()) {
                        for (boolean sync : new boolean[] {false, true}) {
                            deleteFilesIn(layout);
                            run(new FioJob("j" + jobs, layout, "write", blockSize, engine, depth, jobs, perJob, sync), all, notes);
                        }
                    }
                }
                for (String engine : sweep.engines()) {
                    for (int depth : sweep.depths()) {
                        dropPageCache.run();
                        run(new FioJob("j" + jobs, layout, "randread", blockSize, engine, depth, jobs, perJob, false, sweep.readWarmPass()), all,
                                notes);
                    }
                }
                Fio.deleteFiles(layout);
            }
            Path old = Files.createDirectory(root.resolve("psync"));
            long perThread = Math.max(blockSize, totalBytes / clientThreads / blockSize * blockSize);
            Figure psyncWrite = run(new FioJob("w", old, "write", blockSize, "psync", 1, clientThreads, perThread, false), all, notes);
            dropPageCache.run();
            Figure psyncRead = run(new FioJob("w", old, "randread", blockSize, "psync", 1, clientThreads, perThread, false,
                    sweep.readWarmPass()), all, notes);
            Fio.deleteFiles(old);
            FioResult r = new FioResult("ok", FioResult.best(all, "write", false), FioResult.best(all, "write", true),
                    FioResult.best(all, "randread", false), psyncWrite, psyncRead, List.copyOf(all));
            return r.randread() == null && r.write() == null ? FioResult.failed("every fio run failed; see notes") : r;
        } finally {
            FileTrees.deleteRecursively(root);
        }
    }

    /** One fio run; its figure, or null (noted) when fio failed. */
    private static Figure run(FioJob job, List<Figure> into, Consumer<String> notes) throws InterruptedException {
        try {
            long bytesPerSecond = Fio.run(job);
            Figure f = new Figure(job.rw(), job.ioengine(), job.iodepth(), job.numjobs(), job.endFsync(),
                    Math.round(bytesPerSecond / 1e9 * 1e4) / 1e4, job.command());
            into.add(f);
            return f;
        } catch (IOException e) {
            notes.accept("fio " + job.rw() + " " + job.ioengine() + " iodepth " + job.iodepth() + " numjobs " + job.numjobs()
                    + " at bs " + job.blockSize() + " failed: " + e.getMessage());
            return null;
        }
    }

    private static void deleteFilesIn(Path dir) throws IOException {
        try (var listing = Files.list(dir)) {
            for (Path f : listing.toList()) {
                Files.delete(f);
            }
        }
    }

    /** The report's line on how fio ran: how the best was sought, or why there is none. */
    static String status(boolean requested, boolean installed, Sweep sweep, int threads) {
        if (!requested) {
            return "not requested";
        }
        if (!installed) {
            return "fio is not installed: no physical-limit figures (install fio for them)";
        }
        return "fio --direct=1 at its best (" + String.join(" and ", sweep.engines()) + ", iodepth "
                + String.join(" and ", sweep.depths().stream().map(String::valueOf).toList()) + ", "
                + String.join(" and ", sweep.jobs().stream().map(String::valueOf).toList()) + (sweep.jobs().equals(List.of(1)) ? " job" : " jobs")
                + "; over runs, the configuration with the best median), same directory, block size and bytes"
                + (sweep.readWarmPass() ? "; random reads timed on a second pass over the files, after an untimed one" : "")
                + "; psync with " + threads + " jobs as a second row";
    }

    /** The table rows of {@code spillway bench}: fio's best, then the old psync figures, each saying how it ran. */
    static void print(PrintWriter out, String fmt, FioResult fio) {
        if (fio.write() == null && fio.randread() == null) {
            out.printf(Locale.ROOT, fmt, "", "fio: " + fio.status(), "-", "-", "-");
            return;
        }
        out.printf(Locale.ROOT, fmt, "", "fio best write / randread", num(fio.writeGbps()), num(fio.randreadGbps()), "-");
        out.printf(Locale.ROOT, fmt, "", "fio best write, end_fsync=1", num(fio.writeSyncedGbps()), "-", "-");
        out.printf(Locale.ROOT, "%-9s   (write: %s; end_fsync: %s; randread: %s)%n", "", settings(fio.write()),
                settings(fio.writeSynced()), settings(fio.randread()));
        out.printf(Locale.ROOT, fmt, "", "fio psync, 1 request per job (old reference)", num(fio.psyncWriteGbps()),
                num(fio.psyncRandreadGbps()), "-");
    }

    private static String settings(Figure f) {
        return f == null ? "-" : f.settings();
    }

    private static String num(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
}
