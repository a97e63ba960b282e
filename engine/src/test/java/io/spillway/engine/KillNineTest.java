package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.recovery.Fsck;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.StoreLock;
import io.spillway.testkit.ChildJvm;
import io.spillway.testkit.Payloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real crashes: a child JVM dumps blocks and reports each one acknowledged durable; it is killed
 * with SIGKILL at a random moment, then the store is reopened here (taking over the dead child's
 * LOCK). Every acknowledged block of every cycle so far must load byte-identical, no load may
 * return wrong bytes, and fsck must find the recovered store clean.
 */
class KillNineTest {

    private static final int CYCLES = 20;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedBlockSurvivesRepeatedKillNine() throws Exception {
        Random random = new Random(20261121);
        List<BlockKey> acked = new ArrayList<>();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            String ns = "kill9-" + cycle;
            Process child = new ProcessBuilder(ChildJvm.command(dir, List.of(), CrashChildMain.class, dir.toString(), ns,
                    String.valueOf(random.nextLong())))
                    .redirectError(dir.resolve("child.err").toFile())
                    .start();
            int target = 1 + random.nextInt(120);
            int maxTried = -1;
            int ackedThisCycle = 0;
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String first = out.readLine();
                assertEquals("READY", first, () -> "child failed: " + readQuietly(dir.resolve("child.err")));
                String line;
                while (ackedThisCycle < target && (line = out.readLine()) != null) {
                    int n = Integer.parseInt(line.substring(4));
                    acked.add(CrashChildMain.key(ns, n));
                    maxTried = Math.max(maxTried, n);
                    ackedThisCycle++;
                }
                // Past the last ack, let the child run on for a random moment: it is mid-dump.
                Thread.sleep(random.nextInt(30));
            } finally {
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            assertEquals(target, ackedThisCycle, () -> "child ended early: " + readQuietly(dir.resolve("child.err")));
            assertTrue(StoreLock.holder(dir.resolve("data")).isEmpty(), "a dead child's lock is free");
            try (SegmentStore store = SegmentStore.open(CrashChildMain.config(dir)); Arena arena = Arena.ofShared()) {
                // Every acknowledged block, byte-identical.
                List<MemorySegment> dst = Payloads.empty(arena, acked.size(), CrashChildMain.BLOCK);
                TaskResult r = StoreFixture.await(store.load(acked, dst));
                for (int i = 0; i < acked.size(); i++) {
                    assertEquals(Outcome.OK, r.outcome(i), "cycle " + cycle + ": acknowledged block " + i + " lost");
                    assertTrue(Payloads.matches(dst.get(i), acked.get(i)), "cycle " + cycle + ": block " + i + " wrong bytes");
                }
                // Blocks in flight at the kill may be back or not, but never with wrong bytes.
                List<BlockKey> maybe = new ArrayList<>();
                for (int n = 0; n <= maxTried + 40; n++) {
                    maybe.add(CrashChildMain.key(ns, n));
                }
                List<MemorySegment> dst2 = Payloads.empty(arena, maybe.size(), CrashChildMain.BLOCK);
                TaskResult r2 = StoreFixture.await(store.load(maybe, dst2));
                for (int i = 0; i < maybe.size(); i++) {
                    assertTrue(r2.outcome(i) == Outcome.OK || r2.outcome(i) == Outcome.MISSING, "cycle " + cycle + ": " + r2.outcome(i));
                    if (r2.outcome(i) == Outcome.OK) {
                        assertTrue(Payloads.matches(dst2.get(i), maybe.get(i)), "cycle " + cycle + ": in-flight block wrong bytes");
                    }
                }
            }
            Fsck.Result fsck = Fsck.run(dir.resolve("data"), dir.resolve("data").resolve("index"), cycle % 5 == 4, false);
            assertTrue(fsck.clean(), () -> "cycle: fsck found " + fsck.problems());
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
