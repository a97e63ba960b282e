package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spillway.gpu.Cuda;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Argument errors exit 2 with one line, before any store is opened. */
class CliArgumentsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cl.execute(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "demo --requests 0",
        "demo --requests many",
        "demo --model gpt-9",
        "demo --bogus",
        "throughput",
        "throughput --dir /nonexistent --block-size 3",
        "throughput --dir /nonexistent --block-size 2XB",
        "throughput --dir /nonexistent --threads 0",
        "throughput --dir /nonexistent --bytes 1MiB --block-size 2MiB",
        "stats",
        "frobnicate",
        "gpu-check /nonexistent --blocks 100",
        "gpu-check",
        "bench --load-passes 0",
    })
    void badArgumentsExitTwoWithOneLine(String line) {
        assertEquals(2, run(line.split(" ")), err.toString());
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains("--help"), message);
    }

    @Test
    void unknownModelNamesTheKnownOnes() {
        run("demo", "--model", "gpt-9");
        assertTrue(err.toString().contains("llama-3.1-8b"), err.toString());
    }

    @Test
    void versionAndHelpExitZero() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("spillway "), out.toString());
        assertEquals(0, run("demo", "--help"));
        assertTrue(out.toString().contains("--requests"), out.toString());
    }

    /** Issue 17, bug 7: a store directory that cannot be one exits 2 with what is wrong and what to do. */
    @Test
    void aStoreDirectoryThatCannotBeOneExitsTwoSayingWhatToDo(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertEquals(2, run("demo", "--dir", file.toString(), "--requests", "1"), err.toString());
        assertTrue(err.toString().contains("it is a file, not a directory; give a directory"), err.toString());
        if (Files.isDirectory(Path.of("/proc/self"))) {
            assertEquals(2, run("demo", "--dir", "/proc/spillway-no-such/store", "--requests", "1"), err.toString());
            assertTrue(err.toString().contains("cannot be created"), err.toString());
        }
        assertFalse(err.toString().contains("Exception"), err.toString());
    }

    /** Bug 7 for every other verb given a store or scratch directory: a file, or a path under one, is refused the same way. */
    @ParameterizedTest
    @ValueSource(strings = {
        "stats F", "gc F", "fsck F", "fsck --repair F", "inspect F", "rebuild-index F", "serve --dir F --socket S",
        "bench --quick --dir F", "throughput --dir F --bytes 8MiB", "lookup-bench --dir F", "gc-replay --dir F",
        "recovery-bench --dir F", "serve-bench --dir F",
        "stats F/sub", "fsck F/sub", "bench --quick --dir F/sub",
    })
    void everyVerbRefusesAFileForADirectoryWithExitTwo(String line, @TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        String[] args = line.replace("F", file.toString()).replace("S", tmp.resolve("s.sock").toString()).split(" ");
        assertEquals(2, run(args), err.toString());
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains(file + " is a file") || message.contains("it is a file"), message);
        assertTrue(message.contains("; give "), message);
        assertFalse(message.contains("Exception"), message);
        assertEquals("x", Files.readString(file), "the file is left as it was");
    }

    /** A scratch directory that cannot be created ({@code /proc} refuses new entries) is refused as bug 7's demo case is. */
    @ParameterizedTest
    @ValueSource(strings = {"bench --quick", "throughput --bytes 8MiB", "lookup-bench", "gc-replay", "recovery-bench"})
    void aScratchDirectoryThatCannotBeCreatedExitsTwo(String verb) {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here");
        List<String> args = new ArrayList<>(List.of(verb.split(" ")));
        args.addAll(List.of("--dir", "/proc/spillway-no-such/store"));
        assertEquals(2, run(args.toArray(String[]::new)), err.toString());
        assertTrue(err.toString().contains("cannot be created") && err.toString().contains("; give a directory"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
    }

    @Test
    void statsOfAMissingDirectorySaysWhatToDoAndExitsOne() {
        assertEquals(1, run("stats", "/nonexistent/spillway-store"));
        assertTrue(err.toString().contains("no store directory at /nonexistent/spillway-store")
                && err.toString().contains("give the directory the store was created in"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
    }

    @Test
    void gpuCheckNamesTheLeastBlockCount() {
        assertEquals(2, run("gpu-check", "/nonexistent", "--blocks", "100"));
        assertTrue(err.toString().contains("at least 512") && err.toString().contains("got 100"), err.toString());
        assertEquals(0, run("gpu-check", "--help"));
        assertTrue(out.toString().contains("--ipc-exporter"), out.toString());
    }

    /** On a machine without a GPU (CI, this build) the check refuses at once; on the GPU machine device-test.sh runs it. */
    @Test
    void gpuCheckWithoutAGpuExitsOneWithTheReasonAndWritesNothing(@TempDir Path dir) {
        assumeFalse(Cuda.isAvailable(), "a GPU is present: the full check would run");
        Path store = dir.resolve("store");
        assertEquals(1, run("gpu-check", store.toString()), err.toString());
        assertTrue(out.toString().startsWith("FAIL: no usable GPU: "), out.toString());
        assertFalse(Files.exists(store), "nothing written");
    }
}
