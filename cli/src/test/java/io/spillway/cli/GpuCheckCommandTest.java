package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.spillway.gpu.Cuda;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code spillway gpu-check} on a machine without a GPU (CI, this build): its arguments and its
 * refusal. The check itself runs on the GPU machine through gpu/device-test.sh.
 */
class GpuCheckCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int run(String... args) {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cl.execute(args);
    }

    @Test
    void tooFewBlocksIsAUsageErrorOfOneLine() {
        assertEquals(2, run("gpu-check", dir.toString(), "--blocks", "100"), err.toString());
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains("at least 512") && message.contains("got 100"), message);
    }

    @Test
    void helpNamesTheOptions() {
        assertEquals(0, run("gpu-check", "--help"));
        assertTrue(out.toString().contains("--blocks") && out.toString().contains("--ipc-exporter"), out.toString());
    }

    @Test
    void withoutAGpuItFailsWithTheReasonAndTouchesNothing() throws Exception {
        assumeFalse(Cuda.isAvailable(), "a GPU is present: the full check would run");
        Path store = dir.resolve("store");
        assertEquals(1, run("gpu-check", store.toString()), err.toString());
        assertTrue(out.toString().startsWith("FAIL: no usable GPU: "), out.toString());
        assertFalse(store.toFile().exists(), "nothing written");
    }
}
