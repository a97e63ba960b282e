package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A full /dev/shm and a foreign truncation of the arena: clear errors, and the disk tier keeps working. */
class CacheFaultsTest extends ShmTest {

    private static final int SLOTS = 8;

    @TempDir
    Path tmp;

    private CacheConfig cacheConfig(Path dir) {
        return CacheConfig.of(dir, (long) SLOTS * BLOCK, BLOCK);
    }

    private PipelineStore pipeline(FileIO cacheIo) throws IOException {
        StoreConfig disk = StoreFixture.config(tmp).build();
        return PipelineStore.open(disk, cacheConfig(shm.path()), new SimpleMeterRegistry(), cacheIo);
    }

    /** Dumps, waits for durability, loads back and checks every byte: the store works, whatever the DRAM tier does. */
    private static void roundTrip(PipelineStore store, String ns) throws Exception {
        List<BlockKey> keys = StoreFixture.keys(ns, 4);
        try (Arena arena = Arena.ofShared()) {
            TaskResult durable = store.dump(keys, Payloads.buffers(arena, keys, BLOCK)).whenDurable().get(30, TimeUnit.SECONDS);
            assertTrue(durable.allOk() && durable.durable(), durable.toString());
            List<MemorySegment> out = Payloads.empty(arena, 4, BLOCK);
            TaskResult loaded = StoreFixture.await(store.load(keys, out));
            assertTrue(loaded.allOk(), loaded.toString());
            for (int i = 0; i < 4; i++) {
                assertTrue(Payloads.matches(out.get(i), keys.get(i)));
            }
        }
    }

    @Test
    void noSpaceForTheArenaIsAClearErrorAndTheDiskTierServes() throws Exception {
        CacheSpaceException e = assertThrows(CacheSpaceException.class,
                () -> CacheTier.open(cacheConfig(shm.path()), null, new SimpleMeterRegistry(), new NoSpaceFileIO("arena", 4096)));
        assertTrue(e.getMessage().contains("no space for") && e.getMessage().contains("arena"), e.getMessage());
        assertFalse(Files.exists(shm.path().resolve("arena")), "no half-made arena is left");
        try (PipelineStore store = pipeline(new NoSpaceFileIO("arena", 4096))) {
            assertNull(store.cacheTier());
            assertTrue(store.stats().config().get("cache.state").startsWith("unavailable: no space"),
                    store.stats().config().get("cache.state"));
            roundTrip(store, "enospc-arena");
        }
    }

    @Test
    void noSpaceForTheIndexIsAClearErrorToo() throws Exception {
        CacheSpaceException e = assertThrows(CacheSpaceException.class,
                () -> CacheTier.open(cacheConfig(shm.path()), null, new SimpleMeterRegistry(), new NoSpaceFileIO("index-", 0)));
        assertTrue(e.getMessage().contains("index-") && e.getMessage().contains("no space"), e.getMessage());
        try (PipelineStore store = pipeline(new NoSpaceFileIO("index-", 0))) {
            assertNull(store.cacheTier());
            roundTrip(store, "enospc-index");
        }
    }

    @Test
    void aRealFullTmpfsIsRefusedWithTheSpaceItHas() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("small-tmpfs"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString()),
                "mounting a tmpfs needs root (CAP_SYS_ADMIN); the fault-injected cases above cover ENOSPC without it");
        try {
            CacheConfig twiceTheTmpfs = CacheConfig.of(mnt.resolve("c"), 2L << 20, BLOCK);
            CacheSpaceException e = assertThrows(CacheSpaceException.class, () -> CacheTier.open(twiceTheTmpfs).close());
            assertTrue(e.getMessage().contains("bytes free"), e.getMessage());
        } finally {
            assertTrue(run("umount", mnt.toString()) || run("umount", "-l", mnt.toString()), "umount " + mnt);
        }
    }

    /**
     * Repeated: the arena's SIGBUS reaches Java as an InternalError that compiled code may throw
     * after the faulting copy returned; a copy job it escaped once left its block claimed and the
     * load waiting forever. Every repetition must end in time.
     */
    @RepeatedTest(4)
    @Timeout(120)
    void aForeignTruncationStopsTheDramTierAndTheDiskTierServes() throws Exception {
        try (PipelineStore store = pipeline(new PosixFileIO(false, 4096))) {
            roundTrip(store, "before");
            try (FileChannel ch = FileChannel.open(shm.path().resolve("arena"), StandardOpenOption.WRITE)) {
                ch.truncate(4096); // what a foreign process might do
            }
            roundTrip(store, "before"); // DRAM hits fault: each block is read from the disk tier instead
            assertFalse(store.cacheTier().available());
            assertTrue(store.stats().config().get("cache.state").startsWith("stopped:"), store.stats().config().get("cache.state"));
            roundTrip(store, "after");
        }
        try (PipelineStore store = pipeline(new PosixFileIO(false, 4096))) {
            assertTrue(store.cacheTier().openReport().replacedBecause().contains("truncated"),
                    String.valueOf(store.cacheTier().openReport().replacedBecause()));
            roundTrip(store, "reopened");
        }
    }

    @Test
    void aForeignFileAtTheArenaPathIsLeftAloneAndRefused() throws Exception {
        Path arena = shm.path().resolve("arena");
        Files.write(arena, new byte[8192]);
        CacheFormatException e = assertThrows(CacheFormatException.class, () -> CacheTier.open(cacheConfig(shm.path())));
        assertTrue(e.getMessage().contains("left alone"), e.getMessage());
        assertEquals(8192, Files.size(arena));
    }

    private static boolean run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
