package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spillway.cli.bench.ClientRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The smoke tests of {@code spillway bench}: tiny runs against the peers and fio, the JSON schema and the plot. */
class BenchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void tinyRunWritesTableJsonAndPlotAndCleansUp() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"));
        Path json = tmp.resolve("out.json");
        Path png = tmp.resolve("out.png");
        String out = bench("--quick", "--dir", work.toString(), "--block-sizes", "64KiB", "--bytes", "2MiB",
                "--mixed-seconds", "0.2", "--lookup-keys", "2000", "--lookup-iterations", "5", "--no-drop-caches",
                "--compare", "file-per-block,file-per-block-fsync,rocksdb-blob", "--json", json.toString(), "--plot", png.toString());
        assertTrue(out.contains("Spillway / file-per-block"), out);
        assertTrue(out.contains("Spillway / file-per-block-fsync"), out);

        JsonNode doc = Json.read(Files.readString(json));
        assertEquals(7, doc.get("schemaVersion").asInt());
        for (String field : List.of("date", "command", "machine", "settings", "pageCache", "fio", "sizes", "lookup", "notes")) {
            assertTrue(doc.has(field), "missing " + field);
        }
        assertEquals("not requested", doc.get("fio").asText());
        assertEquals("128", doc.get("settings").get("store").get("load_queue_depth").asText(), "the store's effective settings");
        assertEquals(1, doc.get("settings").get("loadPasses").asInt(), "--quick loads once");
        assertFalse(doc.get("settings").get("fioReadWarmPass").asBoolean(true), "--quick times fio from its start");
        assertFalse(doc.get("settings").get("warmup").asBoolean(), "--quick warms nothing up");
        assertFalse(out.contains("warm-up"), out);
        JsonNode size = doc.get("sizes").get(0);
        assertEquals(65536, size.get("blockSize").asLong());
        for (String target : List.of("spillway", "file-per-block", "file-per-block-fsync", "rocksdb-blob")) {
            JsonNode t = size.get("targets").get(target);
            for (String phase : List.of("dump", "load", "mixed")) {
                JsonNode p = t.get(phase);
                assertTrue(p.get("gbps").asDouble() > 0, target + " " + phase);
                assertEquals(0, p.get("mismatches").asLong());
                assertEquals(0, p.get("failed").asLong());
            }
        }
        assertTrue(size.get("fio").isNull());
        assertTrue(size.get("ratios").get("load/rocksdb-blob").asDouble() > 0);
        assertEquals(2000, doc.get("lookup").get("indexedKeys").asLong());

        byte[] header = Files.readAllBytes(png);
        assertTrue(header.length > 1000);
        assertEquals((byte) 0x89, header[0]);
        assertEquals('P', header[1]);
        try (Stream<Path> left = Files.list(work)) {
            assertFalse(left.findAny().isPresent(), "bench left files behind");
        }
    }

    @Test
    void eachDurabilityModeIsItsOwnTargetWithItsOwnRatios() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("modes"));
        Path json = tmp.resolve("modes.json");
        String out = bench("--quick", "--dir", work.toString(), "--block-sizes", "64KiB", "--bytes", "2MiB",
                "--workloads", "dump,load", "--no-drop-caches", "--durability", "none,batch", "--compare", "file-per-block",
                "--runs", "2", "--load-passes", "3", "--warmup", "--json", json.toString());
        assertTrue(out.contains("durability none,batch"), out);
        // The warm-up comes before run 1, is untimed, and is no run of the report.
        int warmUp = out.indexOf("warm-up: 64 KiB, every target but fio");
        assertTrue(warmUp >= 0 && warmUp < out.indexOf("run 1 of 2"), out);
        assertTrue(out.contains("Spillway, durability batch / spillway-none"), out);
        assertTrue(out.contains("Spillway, durability none / file-per-block"), out);

        JsonNode doc = Json.read(Files.readString(json));
        assertEquals("none,batch", doc.get("settings").get("durability").asText());
        // Rewritten after each run; the last write is the whole report, not the partial one.
        assertEquals(2, doc.get("runs").size());
        assertFalse(doc.get("notes").toString().contains("partial"), doc.get("notes").toString());
        assertFalse(Files.exists(tmp.resolve("modes.json.tmp")));
        JsonNode size = doc.get("sizes").get(0);
        assertEquals(List.of("spillway-none", "spillway-batch", "file-per-block"), listOf(size.get("targets").fieldNames()));
        // Run 2 measures in reverse order; its report keeps the table's order, every target in it.
        JsonNode second = doc.get("runs").get(1).get(0).get("targets");
        assertEquals(List.of("spillway-none", "spillway-batch", "file-per-block"), listOf(second.fieldNames()));
        second.forEach(t -> assertTrue(t.get("load").get("gbps").asDouble() > 0, t.toString()));
        // Three passes each: the figure is the median pass, and every pass is on record.
        assertEquals(3, doc.get("settings").get("loadPasses").asInt());
        assertTrue(doc.get("settings").get("warmup").asBoolean());
        for (JsonNode run : doc.get("runs")) {
            run.get(0).get("targets").forEach(t -> {
                JsonNode load = t.get("load");
                List<Double> passes = new ArrayList<>();
                load.get("passes").forEach(v -> passes.add(v.asDouble()));
                assertEquals(3, passes.size(), t.toString());
                assertEquals(passes.stream().sorted().toList().get(1), load.get("gbps").asDouble(), 1e-9, t.toString());
                assertEquals(1, t.get("dump").get("passes").size(), "a dump is one pass");
            });
        }
        for (String mode : List.of("none", "batch")) {
            assertTrue(size.get("targets").get("spillway-" + mode).get("dump").get("gbps").asDouble() > 0, mode);
            assertTrue(size.get("ratios").get("spillway-" + mode + ":load/file-per-block").asDouble() > 0, mode);
        }
        assertTrue(size.get("ratios").get("spillway-batch:dump/spillway-none").asDouble() > 0);
    }

    private static <T> List<T> listOf(Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void fioReferenceRecordsTheBestRunItsSettingsAndThePsyncRow() throws Exception {
        assumeTrue(Fio.onPath(), "fio is not installed");
        Path work = Files.createDirectory(tmp.resolve("fio-work"));
        Path json = tmp.resolve("fio.json");
        String out = bench("--quick", "--dir", work.toString(), "--block-sizes", "64KiB", "--bytes", "2MiB",
                "--workloads", "dump,load", "--no-drop-caches", "--compare", "fio", "--runs", "2", "--json", json.toString());
        assertTrue(out.contains("fio best write / randread"), out);
        // Run 2 runs fio first, before the store; both runs have both.
        JsonNode runs = Json.read(Files.readString(json)).get("runs");
        assertEquals(2, runs.size());
        for (JsonNode run : runs) {
            assertEquals("ok", run.get(0).get("fio").get("status").asText());
            assertTrue(run.get(0).get("targets").get("spillway").get("load").get("gbps").asDouble() > 0);
        }
        assertTrue(out.contains("fio psync, 1 request per job (old reference)"), out);

        JsonNode fio = Json.read(Files.readString(json)).get("sizes").get(0).get("fio");
        assertEquals("ok", fio.get("status").asText());
        for (String kind : List.of("write", "writeSynced", "randread", "psyncWrite", "psyncRandread")) {
            JsonNode f = fio.get(kind);
            assertTrue(f.get("gbps").asDouble() > 0, kind);
            assertTrue(f.get("command").get(0).asText().equals("fio"), kind);
        }
        assertEquals("libaio", fio.get("randread").get("ioengine").asText());
        assertEquals(16, fio.get("randread").get("iodepth").asInt());
        assertTrue(fio.get("writeSynced").get("endFsync").asBoolean());
        assertEquals("psync", fio.get("psyncRandread").get("ioengine").asText());
        assertEquals(5, fio.get("all").size(), "two writes, one randread, and the two psync runs");
        JsonNode ratios = Json.read(Files.readString(json)).get("sizes").get(0).get("ratios");
        for (String key : List.of("dump/fio", "dump/fio-fsync", "load/fio", "dump/fio-psync", "load/fio-psync")) {
            assertTrue(ratios.get(key).asDouble() > 0, key);
        }
        try (Stream<Path> left = Files.list(work)) {
            assertFalse(left.findAny().isPresent(), "bench left fio's files behind");
        }
    }

    /** Runs {@code spillway bench} with {@code args}; its output, once it exited 0. */
    private static String bench(String... args) {
        CommandLine cl = SpillwayCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        int rc = cl.execute(all);
        assertEquals(0, rc, out.toString());
        return out.toString();
    }

    @Test
    void refusesUnknownPeersAndWorkloads() {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--compare", "redis"));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--workloads", "scan"));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--durability", "sometimes"));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--durability", "none,none"));
    }

    @Test
    void batchIsCappedAtSixtyFourMiBOfBuffers() {
        assertEquals(8, ClientRun.effectiveBatch(8, 2 << 20));
        assertEquals(2, ClientRun.effectiveBatch(8, 32 << 20));
        assertEquals(1, ClientRun.effectiveBatch(8, 128 << 20));
    }
}
