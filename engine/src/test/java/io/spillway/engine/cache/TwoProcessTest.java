package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.CacheVerify;
import io.spillway.testkit.ChildJvm;
import io.spillway.testkit.Payloads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on one arena: a child owns it and writes and evicts under pressure; this process
 * reads through {@link CacheReader} all the while, and kills the child with SIGKILL at random
 * moments, then starts a new owner. Every block read OK must be byte-exact: 0 wrong bytes.
 *
 * <p>About 25 s by default; {@code -Dspillway.cache.twoProcessSeconds=60} runs it for a minute.
 */
class TwoProcessTest {

    static final String NAMESPACE = "two-process";
    private static final int BLOCK = 64 << 10;
    private static final int SLOTS = 32;
    private static final int KEYS = 200;
    private static final int MIN_KILLS = 2;

    /** The writers' java.io.tmpdir goes here ({@link ChildJvm}), not on /dev/shm. */
    @TempDir
    Path tmp;

    @Test
    void aReaderNeverGetsWrongBytesWhileTheWriterEvictsAndIsKilled() throws Exception {
        long seconds = Long.getLong("spillway.cache.twoProcessSeconds", 25);
        SplittableRandom random = new SplittableRandom(Long.getLong("spillway.cache.seed", 12));
        List<BlockKey> keys = StoreFixture.keys(NAMESPACE, KEYS);
        long ok = 0;
        long missing = 0;
        long viewsOk = 0;
        AtomicInteger kills = new AtomicInteger();
        try (ShmDirectory shm = new ShmDirectory(); Arena arena = Arena.ofShared()) {
            AtomicReference<Process> writer = new AtomicReference<>(startWriter(shm.path(), random.nextLong()));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long killerSeed = random.nextLong();
            // Kills and restarts run beside the reads: a new owner takes seconds to start (a JVM),
            // and the reader goes on reading what the dead one left meanwhile.
            Thread killer = Thread.ofPlatform().name("killer").start(() -> {
                SplittableRandom r = new SplittableRandom(killerSeed);
                try {
                    while (System.nanoTime() < end - TimeUnit.SECONDS.toNanos(2) || kills.get() < MIN_KILLS) {
                        Thread.sleep(200 + r.nextInt(1800));
                        writer.get().destroyForcibly().waitFor(); // SIGKILL, at whatever the writer was doing
                        kills.incrementAndGet();
                        writer.set(startWriter(shm.path(), r.nextLong()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            CacheReader reader = CacheReader.open(shm.path(), Duration.ofMillis(50), CacheVerify.WHILE_COPYING);
            try {
                MemorySegment dst = arena.allocate(BLOCK, 4096);
                // On a loaded machine a writer's JVM takes seconds to start: the run goes on (up to a
                // cap) until the writer was killed at least MIN_KILLS times.
                long cap = end + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < end || (kills.get() < MIN_KILLS && System.nanoTime() < cap)) {
                    BlockKey k = keys.get(random.nextInt(KEYS));
                    if (random.nextInt(8) == 0) {
                        CacheReader.SlotView v = reader.view(k);
                        if (v != null) {
                            MemorySegment.copy(v.bytes(), 0, dst, 0, BLOCK);
                            if (reader.stillValid(v)) {
                                assertTrue(Payloads.matches(dst, k), "a view that stayed valid held wrong bytes for " + k);
                                viewsOk++;
                            }
                        }
                        continue;
                    }
                    CacheReader.Read r = reader.read(k, dst);
                    if (r.outcome() == Outcome.OK) {
                        assertTrue(Payloads.matches(dst, k), "wrong bytes served for " + k);
                        ok++;
                    } else {
                        assertEquals(Outcome.MISSING, r.outcome(), r.detail());
                        missing++;
                    }
                }
            } finally {
                killer.join(TimeUnit.SECONDS.toMillis(180));
                writer.get().destroyForcibly().waitFor();
                reader.close();
            }
            try (CacheTier owner = CacheTier.open(CacheConfig.of(shm.path(), (long) SLOTS * BLOCK, BLOCK))) {
                assertTrue(owner.openReport().rebuiltBecause() != null, "a killed owner leaves the index to be rebuilt");
                for (BlockKey k : keys) {
                    MemorySegment d = arena.allocate(BLOCK);
                    var r = owner.load(List.of(k), List.of(d)).await();
                    assertTrue(r.outcome(0) == Outcome.MISSING || Payloads.matches(d, k), "after recovery: " + k);
                }
            }
        }
        System.out.printf("[two-process] %d reads ok, %d missing, %d views ok, %d kills, 0 wrong bytes%n", ok, missing,
                viewsOk, kills.get());
        assertTrue(kills.get() >= MIN_KILLS, "the writer was killed " + kills.get() + " times");
        assertTrue(ok > 100, "only " + ok + " reads hit");
    }

    private static long millis(SplittableRandom r, int min, int max) {
        return TimeUnit.MILLISECONDS.toNanos(min + r.nextInt(max - min));
    }

    /**
     * Starts a writer and waits until it owns the cache (the previous one is dead by then).
     *
     * @param arena the writer's arena directory, on /dev/shm
     */
    private Process startWriter(Path arena, long seed) throws Exception {
        List<String> options = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--") || a.startsWith("-D")) {
                options.add(a); // Chronicle Map's --add-opens and --add-exports
            }
        }
        // C1 only: the writer's JVM starts (Chronicle Map's classes) about twice as fast.
        options.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"));
        Process p = new ProcessBuilder(ChildJvm.command(tmp, options, CacheWriterMain.class, arena.toString(), Integer.toString(SLOTS),
                Integer.toString(BLOCK), Integer.toString(KEYS), Long.toString(seed))).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("ready")) {
                Thread.ofVirtual().start(() -> drain(out));
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the writer did not become ready");
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // discard: the child's log
            }
        } catch (IOException ignored) {
            // the child was killed
        }
    }
}
