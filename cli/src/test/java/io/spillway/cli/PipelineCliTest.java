package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.io.FileTrees;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code demo --config} with {@code store_pipeline: "Cache|Disk"} reports its DRAM hits; {@code fsck --cache} checks the tier. */
class PipelineCliTest {

    @TempDir
    Path dir;
    private final Path cache = Path.of("/dev/shm", "spillway-test-" + ProcessHandle.current().pid() + "-cli-pipeline");
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void removeCache() throws Exception {
        FileTrees.deleteRecursively(cache);
    }

    private int run(String... args) {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void theDemoOnCacheDiskReportsDramHitsAndFsckChecksTheTier() throws Exception {
        Path config = Files.writeString(dir.resolve("pipeline.yaml"), """
                store_pipeline: "Cache|Disk"
                buffer_size: 64MiB
                segment_size: 64MiB
                cache_path: %s
                """.formatted(cache));
        Path store = dir.resolve("store");
        assertEquals(0, run("demo", "--config", config.toString(), "--dir", store.toString(), "--requests", "8"), err.toString());
        String demo = out.toString();
        assertTrue(demo.contains("DRAM tier (Cache|Disk, " + cache + "): "), demo);
        assertTrue(!demo.contains("DRAM tier (Cache|Disk, " + cache + "): 0 hits"), "round 2 hits DRAM: " + demo);
        assertTrue(demo.contains(", 0 mismatches"), demo);
        out.getBuffer().setLength(0);
        assertEquals(0, run("fsck", store.toString(), "--cache", cache.toString(), "--deep"), out + err.toString());
        assertTrue(out.toString().contains("fsck cache " + cache + ": "), out.toString());
        assertTrue(out.toString().contains(" 0 problem(s)"), out.toString());
    }
}
