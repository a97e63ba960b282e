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
 * @param warmPass    false: one pass over the files, timed from its start. True (reads only): two
 *                    passes over the same files in one fio run, the second stonewalled, so that
 *                    it starts when the first has ended and is reported alone (its own group);
 *                    only the second is timed. A fresh fio process maps its buffers ({@code bs} x
 *                    {@code iodepth} per job, 1 GiB at 32 MiB and depth 32) on their first
 *                    requests, and on a virtual machine that hands freed memory back to its host
 *                    that costs seconds per GiB, which a one-pass run would time as if it were the
 *                    disk. The timed pass reads each block once, as a load pass of the store does;
 *                    a time-based run ({@code --time_based --ramp_time}, as until 2026-12-05)
 *                    re-read the same blocks for as long as it ran, which at 32 MiB (4 blocks per
 *                    job's file at depth 32) the host's cache served at more than twice the rate of
 *                    one pass
 */
record FioJob(String name, Path directory, String rw, long blockSize, String ioengine, int iodepth, int numjobs,
              long bytesPerJob, boolean endFsync, boolean warmPass) {

    /** A one-pass job, timed from its start. */
    FioJob(String name, Path directory, String rw, long blockSize, String ioengine, int iodepth, int numjobs, long bytesPerJob,
           boolean endFsync) {
        this(name, directory, rw, blockSize, ioengine, iodepth, numjobs, bytesPerJob, endFsync, false);
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
        if (warmPass && rw.equals("write")) {
            // A second write pass would overwrite its files; the dumps it stands for write once.
            throw new IllegalArgumentException("a warm-up pass is for reads only, not " + rw);
        }
    }

    /**
     * The command line, fio's JSON on stdout. The options come before the first {@code --name}, so
     * that they are global and a warm-up pass's second job of the same name (the same files) gets
     * them too.
     */
    List<String> command() {
        List<String> cmd = new ArrayList<>(List.of("fio", "--directory=" + directory, "--rw=" + rw,
                "--bs=" + blockSize, "--numjobs=" + numjobs, "--size=" + bytesPerJob, "--direct=1", "--ioengine=" + ioengine));
        if (!ioengine.equals("psync")) {
            cmd.add("--iodepth=" + iodepth);
        }
        if (endFsync) {
            cmd.add("--end_fsync=1");
        }
        cmd.add("--group_reporting");
        cmd.add("--output-format=json");
        cmd.add("--name=" + name);
        if (warmPass) {
            cmd.addAll(List.of("--name=" + name, "--stonewall"));
        }
        return cmd;
    }
}
