package io.spillway.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One fio run of the bench's reference: O_DIRECT, one block size, on the bench's directory.
 *
 * @param name        fio's job name, which names its files ({@code <name>.<job>.0}): one name per
 *                    file layout, so reads find the files the matching writes laid out
 * @param rw          {@code write}, {@code read} or {@code randread}
 * @param ioengine    {@code libaio}, {@code io_uring} or {@code psync}
 * @param iodepth     requests in flight per job (1 for {@code psync}, which cannot queue)
 * @param numjobs     jobs, each with its own file of {@code bytesPerJob}
 * @param endFsync    {@code --end_fsync=1}: the write counts the final fsync, as a durable dump does
 * @param rampSeconds 0: one pass over the files, timed from the start. Otherwise fio reads for
 *                    this long untimed, then for as long again timed ({@code --time_based
 *                    --ramp_time}), passing over the files as often as that takes: each fio run
 *                    is a new process whose buffers ({@code bs} x {@code iodepth} per job, 1 GiB
 *                    at 32 MiB and depth 32) are mapped on their first request, and on a virtual
 *                    machine that hands freed memory back to its host, mapping costs seconds per
 *                    GiB, which a one-pass run would time as if it were the disk
 */
record FioJob(String name, Path directory, String rw, long blockSize, String ioengine, int iodepth, int numjobs,
              long bytesPerJob, boolean endFsync, int rampSeconds) {

    /** A one-pass job, timed from its start. */
    FioJob(String name, Path directory, String rw, long blockSize, String ioengine, int iodepth, int numjobs, long bytesPerJob,
           boolean endFsync) {
        this(name, directory, rw, blockSize, ioengine, iodepth, numjobs, bytesPerJob, endFsync, 0);
    }

    FioJob {
        if (!List.of("write", "read", "randread").contains(rw)) {
            throw new IllegalArgumentException("fio rw must be write, read or randread, got " + rw);
        }
        if (iodepth < 1 || numjobs < 1 || blockSize < 1 || bytesPerJob < blockSize) {
            throw new IllegalArgumentException("fio job needs iodepth, numjobs >= 1 and at least one block per job, got iodepth "
                    + iodepth + ", numjobs " + numjobs + ", " + bytesPerJob + " bytes of " + blockSize);
        }
        if (endFsync && !rw.equals("write")) {
            throw new IllegalArgumentException("end_fsync applies to writes only, not " + rw);
        }
        if (rampSeconds < 0 || rampSeconds > 0 && rw.equals("write")) {
            // A timed write would overwrite its files for as long as it runs; the dumps it stands for write once.
            throw new IllegalArgumentException("a warm-up (ramp) must be >= 0 seconds and is for reads only, got " + rampSeconds + " s for " + rw);
        }
    }

    /** The command line, fio's JSON on stdout. */
    List<String> command() {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=" + name, "--directory=" + directory, "--rw=" + rw,
                "--bs=" + blockSize, "--numjobs=" + numjobs, "--size=" + bytesPerJob, "--direct=1", "--ioengine=" + ioengine));
        if (!ioengine.equals("psync")) {
            cmd.add("--iodepth=" + iodepth);
        }
        if (endFsync) {
            cmd.add("--end_fsync=1");
        }
        if (rampSeconds > 0) {
            cmd.addAll(List.of("--time_based", "--ramp_time=" + rampSeconds, "--runtime=" + rampSeconds));
        }
        cmd.add("--group_reporting");
        cmd.add("--output-format=json");
        return cmd;
    }
}
