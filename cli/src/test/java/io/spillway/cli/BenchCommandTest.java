package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The smoke test of {@code spillway bench}: a tiny run against both peers, its JSON schema and its plot. */
class BenchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void tinyRunWritesTableJsonAndPlotAndCleansUp() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"));
        Path json = tmp.resolve("out.json");
        Path png = tmp.resolve("out.png");
        CommandLine cl = SpillwayCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        int rc = cl.execute("bench", "--quick", "--dir", work.toString(), "--block-sizes", "64KiB", "--bytes", "2MiB",
                "--mixed-seconds", "0.2", "--lookup-keys", "2000", "--lookup-iterations", "5", "--no-drop-caches",
                "--compare", "file-per-block,rocksdb-blob", "--json", json.toString(), "--plot", png.toString());
        assertEquals(0, rc, out.toString());
        assertTrue(out.toString().contains("Spillway / file-per-block"), out.toString());

        JsonNode doc = Json.read(Files.readString(json));
        assertEquals(2, doc.get("schemaVersion").asInt());
        for (String field : List.of("date", "command", "machine", "settings", "pageCache", "fio", "sizes", "lookup", "notes")) {
            assertTrue(doc.has(field), "missing " + field);
        }
        assertEquals("not requested", doc.get("fio").asText());
        JsonNode size = doc.get("sizes").get(0);
        assertEquals(65536, size.get("blockSize").asLong());
        for (String target : List.of("spillway", "file-per-block", "rocksdb-blob")) {
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
    void refusesUnknownPeersAndWorkloads() {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--compare", "redis"));
        assertEquals(SpillwayCli.EXIT_USAGE, cl.execute("bench", "--workloads", "scan"));
    }

    @Test
    void batchIsCappedAtSixtyFourMiBOfBuffers() {
        assertEquals(8, BenchCommand.effectiveBatch(8, 2 << 20));
        assertEquals(2, BenchCommand.effectiveBatch(8, 32 << 20));
        assertEquals(1, BenchCommand.effectiveBatch(8, 128 << 20));
    }
}
