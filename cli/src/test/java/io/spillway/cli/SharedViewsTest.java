package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.shared.SharedStore;
import io.spillway.testkit.Payloads;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** stats, fsck and inspect on a shared store: writers with their leases, each writer's segments checked. */
class SharedViewsTest {

    @TempDir
    Path root;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString()};
    }

    @Test
    void inspectListsWritersWithLeasesStatsCountsTheirBlocksFsckChecksTheirSegments() throws Exception {
        Path store = root.resolve("store");
        List<String> ids = new java.util.ArrayList<>();
        for (String w : List.of("a", "b")) {
            StoreConfig c = StoreConfig.builder().storageBackend(store).indexPath(root.resolve(w).resolve("index"))
                    .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).streamNumber(1).build();
            List<BlockKey> keys = StoreFixture.keys(w, 30);
            try (SharedStore s = SharedStore.open(c, new SimpleMeterRegistry()); Arena arena = Arena.ofShared()) {
                ids.add(s.writerId());
                assertTrue(StoreFixture.await(s.dump(keys, Payloads.buffers(arena, keys, 16 << 10))).allOk());
            }
        }
        String[] inspect = run("inspect", store.toString());
        assertEquals("0", inspect[0], inspect[1]);
        for (String id : ids) {
            assertTrue(inspect[1].lines().anyMatch(l -> l.startsWith(id) && l.contains(" none ")), inspect[1]);
        }
        assertTrue(inspect[1].contains("GC owner " + ids.getFirst()), inspect[1]);
        String[] stats = run("stats", store.toString());
        assertEquals("0", stats[0], stats[1]);
        assertTrue(stats[1].lines().anyMatch(l -> l.matches("\\s*blocks\\s+60\\s*")), stats[1]);
        String[] fsck = run("fsck", store.toString());
        assertEquals("0", fsck[0], fsck[1]);
        assertTrue(fsck[1].contains("2 writers") && fsck[1].contains("0 problem(s)"), fsck[1]);
        // A flipped byte in a footer of writer b is found.
        Path seg;
        try (Stream<Path> s = Files.list(store.resolve("writers").resolve(ids.get(1)))) {
            seg = s.filter(p -> p.getFileName().toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, ch.size() - 100);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, ch.size() - 100);
        }
        String[] bad = run("fsck", store.toString());
        assertEquals(Integer.toString(SpillwayCli.EXIT_FAILURE), bad[0], bad[1]);
        assertTrue(bad[1].contains("writer " + ids.get(1)), bad[1]);
    }
}
