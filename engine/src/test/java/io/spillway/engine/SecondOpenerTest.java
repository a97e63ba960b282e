package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.StoreLockedException;
import io.spillway.testkit.ChildJvm;
import io.spillway.testkit.Payloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per store directory: a second opener is refused with the holder's PID. */
class SecondOpenerTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    @Test
    void secondOpenInThisProcessIsRefusedUntilTheFirstCloses() throws Exception {
        StoreConfig config = StoreFixture.config(dir).build();
        long self = ProcessHandle.current().pid();
        List<BlockKey> keys = StoreFixture.keys("second", 4);
        Path alias = Files.createSymbolicLink(dir.resolve("alias"), config.storageBackends().getFirst().toAbsolutePath());
        try (Arena arena = Arena.ofShared()) {
            try (SegmentStore first = SegmentStore.open(config)) {
                StoreLockedException e = assertThrows(StoreLockedException.class, () -> SegmentStore.open(config));
                assertTrue(e.getMessage().contains("pid " + self), e.getMessage());
                assertEquals(self, e.ownerPid().orElseThrow());
                // Through another name for the same directory, too.
                StoreLockedException viaAlias = assertThrows(StoreLockedException.class,
                        () -> SegmentStore.open(StoreFixture.config(dir).storageBackend(alias).build()));
                assertTrue(viaAlias.getMessage().contains("pid " + self), viaAlias.getMessage());

                // The refused opens took nothing from the first store.
                assertTrue(StoreFixture.await(first.dump(keys, Payloads.buffers(arena, keys, BLOCK))).allOk());
                assertEquals(keys.size(), first.lookupPrefix(keys));
                assertThrows(StoreLockedException.class, () -> SegmentStore.open(config));
            }
            try (SegmentStore second = SegmentStore.open(config)) {
                List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
                assertTrue(StoreFixture.await(second.load(keys, dst)).allOk());
                assertTrue(Payloads.matches(dst.get(3), keys.get(3)));
            }
        }
    }

    @Test
    void openHeldByAnotherProcessIsRefusedWithItsPid() throws Exception {
        Path data = dir.resolve("data");
        Process child = new ProcessBuilder(ChildJvm.command(dir, List.of(), StoreHolderMain.class, data.toString()))
                .redirectError(dir.resolve("child.err").toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("OPEN " + child.pid(), out.readLine(), () -> "child failed: " + readQuietly(dir.resolve("child.err")));

            StoreLockedException e = assertThrows(StoreLockedException.class, () -> SegmentStore.open(StoreFixture.config(dir).build()));
            assertTrue(e.getMessage().contains("locked by pid " + child.pid()), e.getMessage());
            assertEquals(child.pid(), e.ownerPid().orElseThrow());

            child.getOutputStream().close(); // the child closes its store and exits
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not exit");
            assertEquals(0, child.exitValue(), () -> readQuietly(dir.resolve("child.err")));
            try (SegmentStore store = SegmentStore.open(StoreFixture.config(dir).build())) {
                assertEquals(0, store.stats().segments());
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (Exception e) {
            return "(no stderr: " + e + ")";
        }
    }
}
