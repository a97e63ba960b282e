package io.spillway.cli;

import io.spillway.engine.config.ByteSize;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs fio as the yardstick for {@code spillway bench} ({@link FioReference}: the best of several
 * engines, depths and job counts) and {@code throughput} (the psync run below): O_DIRECT writes,
 * then reads of the same files ({@code read} or {@code randread}).
 */
final class Fio {

    private Fio() {
    }

    /** Whether an executable {@code fio} is on the PATH. */
    static boolean onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "fio"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The psync job for one direction: one request in flight per job, {@code jobs} jobs (the
     * figure {@code throughput} reports, and the bench's second, labelled row).
     *
     * @param rw "write", "read" or "randread"
     */
    static FioJob psync(String rw, Path dir, ByteSize blockSize, int jobs, long bytesPerJob) {
        return new FioJob("w", dir, rw, blockSize.bytes(), "psync", 1, jobs, bytesPerJob, false);
    }

    /** The psync command line for one direction (see {@link #psync}). */
    static List<String> command(String rw, Path dir, ByteSize blockSize, int jobs, long bytesPerJob) {
        return psync(rw, dir, blockSize, jobs, bytesPerJob).command();
    }

    /** Runs the psync job for one direction (see {@link #psync}); bytes per second. */
    static long run(String rw, Path dir, ByteSize blockSize, int jobs, long bytesPerJob) throws IOException, InterruptedException {
        return run(psync(rw, dir, blockSize, jobs, bytesPerJob));
    }

    /**
     * Runs fio and returns the bandwidth of the job's direction, in bytes per second.
     *
     * @throws IOException when fio cannot start, fails, or prints no usable JSON
     */
    static long run(FioJob job) throws IOException, InterruptedException {
        List<String> cmd = job.command();
        String rw = job.rw();
        Process process = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
        String out = drain(process.getInputStream());
        int rc = process.waitFor();
        if (rc != 0) {
            throw new IOException("fio --rw=" + rw + " exited with " + rc + ": " + err.join().strip());
        }
        return bandwidth(out, rw);
    }

    /**
     * Reads {@code <rw>.bw_bytes} of the last reporting group from fio's JSON output: with
     * {@code --group_reporting} each group is one entry of {@code jobs}, and a job with a warm-up
     * pass ({@link FioJob#warmPass()}) is timed by its second group. Text before the first '{'
     * (fio prints notes there, e.g. about O_DIRECT) is skipped.
     *
     * @throws IOException when the output holds no such number
     */
    static long bandwidth(String fioJson, String rw) throws IOException {
        int start = fioJson.indexOf('{');
        if (start < 0) {
            throw new IOException("fio printed no JSON: " + abbreviate(fioJson));
        }
        JsonNode doc;
        try {
            doc = Json.read(fioJson.substring(start));
        } catch (IOException e) {
            throw new IOException("fio's output is not valid JSON: " + e.getMessage(), e);
        }
        // fio reports a randread job's figures under "read".
        String section = rw.endsWith("read") ? "read" : "write";
        JsonNode last = null;
        for (JsonNode job : doc.path("jobs")) {
            if (last == null || job.path("groupid").asInt(0) >= last.path("groupid").asInt(0)) {
                last = job;
            }
        }
        JsonNode bw = last == null ? null : last.path(section).path("bw_bytes");
        if (bw != null && bw.isNumber()) {
            return bw.longValue();
        }
        throw new IOException("fio's JSON has no jobs[]." + section + ".bw_bytes: " + abbreviate(fioJson));
    }

    /** Deletes the files fio made in {@code dir}, then {@code dir}. */
    static void deleteFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> files = new ArrayList<>();
        try (var listing = Files.list(dir)) {
            listing.forEach(files::add);
        }
        for (Path f : files) {
            Files.delete(f);
        }
        Files.delete(dir);
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String abbreviate(String s) {
        String t = s.strip().replace('\n', ' ');
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }
}
