package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertTrue(e.getMessage().contains("jobs[0].write.bw_bytes"), e.getMessage());
    }

    @Test
    void brokenJsonIsRefused() {
        assertThrows(IOException.class, () -> Fio.bandwidth("{\"jobs\": [ {", "write"));
    }

    @Test
    void commandMatchesTheAcceptanceRun() {
        List<String> cmd = Fio.command("write", Path.of("/d"), ByteSize.ofMiB(2), 2, 1L << 31);
        assertEquals(List.of("fio", "--name=w", "--directory=/d", "--rw=write", "--bs=2097152", "--numjobs=2",
                "--size=2147483648", "--direct=1", "--ioengine=psync", "--group_reporting", "--output-format=json"), cmd);
    }
}
