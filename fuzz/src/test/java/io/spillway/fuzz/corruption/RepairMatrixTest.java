package io.spillway.fuzz.corruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import io.spillway.recovery.Fsck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seeded corruption matrix (issue 17): a real store of a few segments, damaged one way per
 * case ({@link Damage}: header, footer and trailer flips; cuts anywhere, inside a record and
 * inside the footer; appended garbage; zeroed ranges; a footer lost together with group headers;
 * a segment deleted, replaced by a directory or by a dangling symbolic link; the index deleted;
 * the commit log damaged), then checked and repaired. For every case:
 * <ol>
 *   <li>{@code fsck --deep} reports a problem (the CLI exits 1);
 *   <li>no load returns wrong bytes from the damaged store (loaded from a copy of it: a load that
 *       finds a record corrupt unindexes it, which must not decide what the repair can keep), and
 *       every outcome is OK, MISSING or CORRUPT;
 *   <li>{@code fsck --deep --repair} repairs every problem it reports, and {@code fsck --deep}
 *       then finds none (exit 0);
 *   <li>the store opens, and every record whose header and payload are still what was written
 *       (so their CRCs check out) loads with its own bytes: repair lost none of them.
 * </ol>
 * Replay one case: {@code mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtest=RepairMatrixTest -Dspillway.fuzz.repairCase=KIND:SEED}.
 */
class RepairMatrixTest {

    /** Seeds per kind of damage: 2 in the default run (about 20 s); {@code -Dspillway.fuzz.repairSeeds=N} for more. */
    private static final int SEEDS_PER_KIND = Integer.getInteger("spillway.fuzz.repairSeeds", 2);

    /**
     * Where the cases run: a directory of this test's own under /dev/shm, where the repairs'
     * and the store's fsyncs cost nothing (on this project's CI disk they took most of the time).
     */
    private static Path shared;

    private static Path template;
    private static List<BlockKey> keys;
    private static List<RepairFixture.Span> spans;
    private static List<RepairFixture.Segment> segments;
    private static Map<String, byte[]> pristine;

    @BeforeAll
    static void buildTemplate() throws Exception {
        Path shm = Path.of("/dev/shm");
        shared = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                "spillway-repair-matrix-");
        template = shared.resolve("template");
        RepairFixture.build(template);
        keys = RepairFixture.keys();
        spans = RepairFixture.spans(template);
        segments = RepairFixture.segmentInfo(template);
        pristine = RepairFixture.snapshot(template);
        assertEquals(keys.size(), spans.size(), "every block dumped once, one record each");
        assertTrue(segments.size() >= 3, "a store of a few segments: " + segments.size());
        assertEquals(keys.size(), RepairFixture.loadAll(copyOf(template, "pristine-check"), keys).size());
    }

    @AfterAll
    static void removeAll() throws Exception {
        if (shared != null) {
            RepairFixture.delete(shared);
        }
    }

    private static Path copyOf(Path from, String name) throws Exception {
        Path to = shared.resolve(name).resolve("data");
        RepairFixture.delete(to.getParent());
        RepairFixture.copy(from, to);
        return to;
    }

    @Test
    void everyDamageIsRepairedWithoutLosingAValidRecord() throws Exception {
        String one = System.getProperty("spillway.fuzz.repairCase");
        List<String> cases = new ArrayList<>();
        if (one != null) {
            cases.add(one);
        } else {
            for (Damage d : Damage.values()) {
                for (int seed = 0; seed < SEEDS_PER_KIND; seed++) {
                    cases.add(d + ":" + seed);
                }
            }
        }
        long t0 = System.nanoTime();
        long intact = 0;
        long damagedRecords = 0;
        long problems = 0;
        for (String c : cases) {
            Damage d = Damage.valueOf(c.substring(0, c.indexOf(':')));
            long seed = Long.parseLong(c.substring(c.indexOf(':') + 1));
            int[] counts = runCase(d, seed);
            intact += counts[0];
            damagedRecords += counts[1];
            problems += counts[2];
        }
        System.out.printf("[fuzz] repair matrix: %d cases (%s) over %d segments of %d records, %d problems found and repaired,"
                        + " %d records left intact all loadable after repair, %d damaged, 0 wrong bytes served, %.1f s%n",
                cases.size(), one != null ? one : Damage.values().length + " kinds of damage x " + SEEDS_PER_KIND + " seeds",
                segments.size(), spans.size(), problems, intact, damagedRecords, (System.nanoTime() - t0) / 1e9);
    }

    /** One case; returns {intact records, damaged records, problems found}. */
    private int[] runCase(Damage damage, long seed) throws Exception {
        String replay = damage + ":" + seed + " (replay: -Dtest=RepairMatrixTest -Dspillway.fuzz.repairCase=" + damage + ":" + seed + ")";
        Path data = copyOf(template, "case");
        String what = damage.apply(new Damage.Target(data, spans, segments, new SplittableRandom(seed * 0x9E3779B97F4A7C15L
                + damage.ordinal())));
        String ctx = replay + ": " + what;
        Set<BlockKey> mustLoad = new HashSet<>();
        for (RepairFixture.Span s : spans) {
            if (RepairFixture.intact(s, data, pristine)) {
                mustLoad.add(s.key());
            }
        }
        Path index = data.resolve("index");
        Fsck.Result found = Fsck.run(data, index, true, false);
        assertFalse(found.clean(), ctx + ": fsck --deep found nothing");
        RepairFixture.loadAll(copyOf(data, "probe"), keys);
        Fsck.Result repaired = Fsck.run(data, index, true, true);
        List<Fsck.Problem> unrepaired = repaired.problems().stream().filter(p -> !p.repaired()).toList();
        assertTrue(unrepaired.isEmpty(), ctx + ": not repaired: " + unrepaired);
        Fsck.Result after = Fsck.run(data, index, true, false);
        assertTrue(after.clean(), ctx + ": fsck --deep after the repair: " + after.problems());
        List<BlockKey> loaded = RepairFixture.loadAll(data, keys);
        Set<BlockKey> lost = new HashSet<>(mustLoad);
        loaded.forEach(lost::remove);
        assertTrue(lost.isEmpty(), ctx + ": " + lost.size() + " records with valid checksums no longer load; problems were "
                + found.problems());
        return new int[] {mustLoad.size(), spans.size() - mustLoad.size(), found.problems().size()};
    }
}
