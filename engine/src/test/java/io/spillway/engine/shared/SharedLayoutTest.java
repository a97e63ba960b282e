package io.spillway.engine.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared layout in one process: format marker, manifest tails, writer zero, ids, refusals. */
class SharedLayoutTest {

    @TempDir
    Path tmp;

    private StoreConfig.Builder config(String local) {
        return StoreConfig.builder().storageBackend(tmp.resolve("store")).indexPath(tmp.resolve(local).resolve("index"))
                .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).streamNumber(1);
    }

    @Test
    void aStoreOfAnUnknownFormatIsRefusedNamingBothVersions() throws IOException {
        Files.createDirectories(tmp.resolve("store"));
        Files.writeString(tmp.resolve("store").resolve(Layout.FORMAT_FILE), "spillway-store-format 9\n");
        IOException e = assertThrows(IOException.class, () -> SharedStore.open(config("a").build(), new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains("format version 9") && e.getMessage().contains("format version 2"), e.getMessage());
    }

    @Test
    void anIndexInsideTheSharedDirectoryIsRefused() {
        StoreConfig c = config("a").indexPath(tmp.resolve("store").resolve("index")).build();
        IOException e = assertThrows(IOException.class, () -> SharedStore.open(c, new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains("local disk"), e.getMessage());
    }

    @Test
    void aTornManifestAppendIsNotReadAndIsCutBeforeTheNextAppend() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("w"));
        Manifest.append(dir, List.of(new Manifest.Entry(Manifest.Kind.SEALED, 0, 7), new Manifest.Entry(Manifest.Kind.SEALED, 1, 8),
                new Manifest.Entry(Manifest.Kind.EVICTED, 0, 7)));
        Files.write(dir.resolve(Manifest.FILE_NAME), new byte[] {'S', 'P', 'W', 'M', 1, 0, 0, 0, 9}, StandardOpenOption.APPEND);
        Manifest.Tail t = Manifest.read(dir, 0);
        assertEquals(3, t.entries().size());
        assertEquals(96, t.nextOffset());
        assertEquals(new Manifest.Entry(Manifest.Kind.SEALED, 1, 8), t.entries().get(1));
        assertEquals(0, Manifest.read(dir, 96).entries().size());
        Manifest.repairTail(dir);
        Manifest.append(dir, List.of(new Manifest.Entry(Manifest.Kind.SEALED, 0, 9)));
        Manifest.Tail after = Manifest.read(dir, 96);
        assertEquals(List.of(new Manifest.Entry(Manifest.Kind.SEALED, 0, 9)), after.entries());
        assertEquals(128, Files.size(dir.resolve(Manifest.FILE_NAME)));
    }

    @Test
    void aSingleWriterStoreIsReadAsWriterZeroAndWritersGetTheirOwnIdRange() throws Exception {
        List<BlockKey> legacy = keys("legacy", 40);
        List<BlockKey> fresh = keys("fresh", 40);
        try (SegmentStore single = SegmentStore.open(config("single").build()); Arena arena = Arena.ofShared()) {
            assertTrue(await(single.dump(legacy, Payloads.buffers(arena, legacy, 16 << 10))).allOk());
        }
        String writer;
        try (Arena arena = Arena.ofShared();
             SharedStore ro = SharedStore.openReadOnly(config("ro").build(), new SimpleMeterRegistry())) {
            try (SharedStore w = SharedStore.open(config("w").build(), new SimpleMeterRegistry())) {
                writer = w.writerId();
                assertEquals(legacy.size(), w.lookup(legacy).cardinality(), "writer zero's blocks are visible to a writer");
                assertTrue(await(w.dump(fresh, Payloads.buffers(arena, fresh, 16 << 10))).allOk());
            } // closing seals the writer's segment and records it in its manifest
            ro.refreshNow();
            for (List<BlockKey> ks : List.of(legacy, fresh)) {
                List<MemorySegment> dst = Payloads.empty(arena, ks.size(), 16 << 10);
                TaskResult r = await(ro.load(ks, dst));
                for (int i = 0; i < ks.size(); i++) {
                    assertEquals(Outcome.OK, r.outcome(i));
                    assertTrue(Payloads.matches(dst.get(i), ks.get(i)));
                }
            }
            assertThrows(UnsupportedOperationException.class, () -> ro.dump(fresh, Payloads.buffers(arena, fresh, 16 << 10)));
        }
        assertEquals(1, Layout.number(tmp.resolve("store").toRealPath(), writer));
        int segments = 0;
        for (String name : Layout.list(Layout.writer(tmp.resolve("store"), writer))) {
            if (name.startsWith("seg-")) {
                segments++;
                assertEquals(1, Layout.numberOf(Long.parseLong(name.substring(4, 20), 16)), name);
            }
        }
        assertTrue(segments > 0);
        assertTrue(BlockStore.open(config("w").build()) instanceof SharedStore s && closeAll(s), "BlockStore.open routes a shared store");
    }

    @Test
    void aWriterThatFindsItselfAdoptedStopsThereAndGoesOnUnderANewId() throws Exception {
        List<BlockKey> before = keys("before", 20);
        List<BlockKey> after = keys("after", 20);
        StoreConfig c = config("w").set(io.spillway.engine.config.StoreKeys.REFRESH_INTERVAL, Duration.ofMillis(50))
                .set(io.spillway.engine.config.StoreKeys.LEASE_TIMEOUT, Duration.ofMillis(500)).build();
        try (SharedStore w = SharedStore.open(c, new SimpleMeterRegistry()); Arena arena = Arena.ofShared()) {
            String first = w.writerId();
            assertTrue(await(w.dump(before, Payloads.buffers(arena, before, 16 << 10))).allOk());
            // What an adopter's step 2 does (the lock, which this process holds, keeps a real one out).
            Layout.createExclusive(Layout.writer(tmp.resolve("store"), first).resolve(Adoption.MARKER), "peer\n");
            long until = System.nanoTime() + 20_000_000_000L;
            while (w.writerId().equals(first) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(!w.writerId().equals(first), "a new id after finding itself adopted");
            assertTrue(await(w.dump(after, Payloads.buffers(arena, after, 16 << 10))).allOk(), "dumps go on under the new id");
            w.refreshNow();
            assertEquals(before.size(), w.lookup(before).cardinality(), "the old id's sealed blocks are read like a peer's");
            assertEquals(after.size(), w.lookup(after).cardinality());
        }
    }

    private static boolean closeAll(SharedStore s) throws IOException {
        s.close();
        return true;
    }

    private static List<BlockKey> keys(String ns, int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> SharedChildMain.key(ns, i)).toList();
    }

    private static TaskResult await(io.spillway.engine.api.Task t) throws InterruptedException {
        TaskResult r = t.await(Duration.ofSeconds(60));
        assertTrue(r != null, "task did not complete");
        return r;
    }
}
