package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.cli.bench.FioResult;
import io.spillway.engine.config.ByteSize;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FioTest {

    /** Trimmed from fio 3.33's --output-format=json --group_reporting, with the note fio prints first. */
    private static final String WRITE_OUTPUT = """
            note: both iodepth >= 1 and synchronous I/O engine are selected, queue depth will be capped at 1
            {
              "fio version" : "fio-3.33",
              "timestamp" : 1732200000,
              "global options" : {
                "directory" : "/data/fio"
              },
              "jobs" : [
                {
                  "jobname" : "w",
                  "groupid" : 0,
                  "error" : 0,
                  "read" : {
                    "io_bytes" : 0,
                    "bw_bytes" : 0,
                    "bw" : 0
                  },
                  "write" : {
                    "io_bytes" : 4294967296,
                    "io_kbytes" : 4194304,
                    "bw_bytes" : 1523456789,
                    "bw" : 1487750,
                    "iops" : 726.4,
                    "clat_ns" : {"min" : 1000, "percentile" : {"50.000000" : 2703360}}
                  }
                }
              ]
            }
            """;

    @Test
    void readsTheBandwidthOfTheDirection() throws IOException {
        assertEquals(1_523_456_789L, Fio.bandwidth(WRITE_OUTPUT, "write"));
        assertEquals(0L, Fio.bandwidth(WRITE_OUTPUT, "read"));
        // fio reports randread under "read".
        assertEquals(0L, Fio.bandwidth(WRITE_OUTPUT, "randread"));
    }

    @Test
    void bandwidthAboveTwoGigabytesPerSecondFitsALong() throws IOException {
        String json = "{\"jobs\": [{\"read\": {\"bw_bytes\": 6812345678}}]}";
        assertEquals(6_812_345_678L, Fio.bandwidth(json, "read"));
    }

    @Test
    void outputWithoutJsonIsRefused() {
        IOException e = assertThrows(IOException.class, () -> Fio.bandwidth("fio: unrecognized option '--bogus'", "write"));
        assertTrue(e.getMessage().contains("no JSON"), e.getMessage());
    }

    @Test
    void jsonWithoutTheFieldIsRefused() {
        IOException e = assertThrows(IOException.class, () -> Fio.bandwidth("{\"jobs\": []}", "write"));
        assertTrue(e.getMessage().contains("jobs[].write.bw_bytes"), e.getMessage());
    }

    @Test
    void brokenJsonIsRefused() {
        assertThrows(IOException.class, () -> Fio.bandwidth("{\"jobs\": [ {", "write"));
    }

    @Test
    void deepQueueJobsNameTheirEngineDepthAndFsync() {
        FioJob job = new FioJob("j2", Path.of("/d"), "write", 262144, "io_uring", 32, 2, 1L << 29, true);
        assertEquals(List.of("fio", "--directory=/d", "--rw=write", "--bs=262144", "--numjobs=2",
                "--size=536870912", "--direct=1", "--ioengine=io_uring", "--iodepth=32", "--end_fsync=1", "--group_reporting",
                "--output-format=json", "--name=j2"), job.command());
        FioJob read = new FioJob("j1", Path.of("/d"), "randread", 2 << 20, "libaio", 16, 1, 1L << 30, false);
        assertTrue(read.command().contains("--iodepth=16"));
        assertFalse(read.command().contains("--end_fsync=1"));
        assertFalse(read.command().contains("--stonewall"), "a one-pass job is timed from its start");
        assertEquals(1, read.command().stream().filter(a -> a.startsWith("--name=")).count());
    }

    @Test
    void aWarmedReadPassesTwiceOverTheSameFilesTheSecondInItsOwnGroup() {
        FioJob read = new FioJob("j1", Path.of("/d"), "randread", 32 << 20, "libaio", 32, 1, 1L << 30, false, true);
        List<String> cmd = read.command();
        // Global options first, then two jobs of one name (so the same files), the second stonewalled.
        assertEquals(List.of("--name=j1", "--name=j1", "--stonewall"), cmd.subList(cmd.size() - 3, cmd.size()));
        assertTrue(cmd.indexOf("--rw=randread") < cmd.indexOf("--name=j1"), cmd.toString());
        assertFalse(cmd.contains("--time_based"), "a time-based run re-reads the blocks it has just read");
        assertThrows(IllegalArgumentException.class, () -> new FioJob("j", Path.of("/d"), "write", 4096, "libaio", 16, 1, 1 << 20, false, true),
                "a second write pass overwrites the files of the first");
    }

    /** Two reporting groups, as fio 3.33 prints them for a warmed read: the second is the timed pass. */
    @Test
    void theLastGroupIsTheTimedPass() throws IOException {
        String json = """
                {"jobs": [
                  {"jobname": "j1", "groupid": 0, "read": {"bw_bytes": 1820000000}},
                  {"jobname": "j1", "groupid": 1, "read": {"bw_bytes": 2150000000}}
                ]}""";
        assertEquals(2_150_000_000L, Fio.bandwidth(json, "randread"));
    }

    @Test
    void nonsenseJobsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FioJob("j", Path.of("/d"), "randread", 4096, "libaio", 16, 1, 1 << 20, true));
        assertThrows(IllegalArgumentException.class, () -> new FioJob("j", Path.of("/d"), "trim", 4096, "libaio", 16, 1, 1 << 20, false));
        assertThrows(IllegalArgumentException.class, () -> new FioJob("j", Path.of("/d"), "write", 4096, "libaio", 0, 1, 1 << 20, false));
        assertThrows(IllegalArgumentException.class, () -> new FioJob("j", Path.of("/d"), "write", 8192, "libaio", 1, 1, 4096, false));
    }

    @Test
    void theBestFigureOfEachKindIsKeptWithItsSettings() {
        List<FioResult.Figure> all = List.of(
                figure("write", "libaio", 16, 1, false, 0.40), figure("write", "io_uring", 32, 2, false, 0.45),
                figure("write", "libaio", 16, 1, true, 0.39), figure("write", "io_uring", 32, 2, true, 0.38),
                figure("randread", "libaio", 16, 1, false, 1.1), figure("randread", "io_uring", 32, 2, false, 2.1),
                figure("randread", "psync", 1, 2, false, 3.0));
        assertEquals(0.45, FioResult.best(all, "write", false).gbps());
        assertEquals("io_uring qd32 x2", FioResult.best(all, "write", false).settings());
        assertEquals(0.39, FioResult.best(all, "write", true).gbps());
        assertEquals("libaio qd16 x1 end_fsync", FioResult.best(all, "write", true).settings());
        assertEquals(2.1, FioResult.best(all, "randread", false).gbps(), "psync is never the best: it is the old row");
        assertEquals(null, FioResult.best(all, "read", false));
    }

    private static FioResult.Figure figure(String rw, String engine, int depth, int jobs, boolean sync, double gbps) {
        return new FioResult.Figure(rw, engine, depth, jobs, sync, gbps, List.of("fio"));
    }

    @Test
    void commandMatchesTheAcceptanceRun() {
        List<String> cmd = Fio.command("write", Path.of("/d"), ByteSize.ofMiB(2), 2, 1L << 31);
        assertEquals(List.of("fio", "--directory=/d", "--rw=write", "--bs=2097152", "--numjobs=2",
                "--size=2147483648", "--direct=1", "--ioengine=psync", "--group_reporting", "--output-format=json", "--name=w"), cmd);
    }
}
