package io.spillway.fuzz.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.testkit.sim.FaultPlan;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Environment faults (issue 5, part 6), seeded: the store runs its random workload while the
 * simulated disk fails at random (ENOSPC on writes and preallocation, EIO on reads, writes,
 * fdatasync, opens, creates and directory fsyncs), on directories holding foreign files and with
 * shuffled listings (both chosen per seed in {@link ModelRun}; Lucene's ExtrasFS and ShuffleFS).
 * Then the faults stop, the power is cut, and the store must reopen holding every block it
 * called durable, with no wrong bytes. During the faults every task must still complete (no
 * hang) with one of the documented outcomes.
 *
 * <p>Also media corruption at store level: random bits flipped in sealed segments; loads must
 * report CORRUPT (and count it) or return the right bytes, never wrong ones.
 *
 * <p>Replay: {@code mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=EnvironmentFaultsTest -Dspillway.fuzz.seed=S}
 */
class EnvironmentFaultsTest {

    private static final String REPLAY = "mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dtest=EnvironmentFaultsTest -Dspillway.fuzz.seed=";

    private static long[] seeds(int count, long base) {
        String one = System.getProperty("spillway.fuzz.seed");
        if (one != null) {
            return new long[] {Long.parseLong(one)};
        }
        long[] s = new long[count];
        for (int i = 0; i < count; i++) {
            s[i] = base + i;
        }
        return s;
    }

    /** Fault probabilities per call kind. */
    private static double[] probabilities() {
        double[] p = new double[FaultPlan.Call.values().length];
        p[FaultPlan.Call.WRITE.ordinal()] = 0.08;       // ENOSPC
        p[FaultPlan.Call.PREALLOCATE.ordinal()] = 0.15; // ENOSPC
        p[FaultPlan.Call.READ.ordinal()] = 0.05;
        p[FaultPlan.Call.SYNC.ordinal()] = 0.08;
        p[FaultPlan.Call.OPEN.ordinal()] = 0.05;
        p[FaultPlan.Call.CREATE.ordinal()] = 0.05;
        p[FaultPlan.Call.SYNC_DIR.ordinal()] = 0.03;
        return p;
    }

    /**
     * Regression (found by the long profile, seed 50168): a segment whose creation failed after
     * its preallocation (a failed header write or sync) was left on disk outside the catalog's
     * accounting, so repeated failures grew the store past capacity plus one segment per writer
     * (5,251,072 bytes allocated against a bound of 4,259,840). Fixed in SegmentWriter.create.
     */
    @Test
    void regressionFailedSegmentCreateKeepsTheSpaceBound() throws Exception {
        runSeed(50168, probabilities());
    }

    /**
     * Regression (found by the long profile, seed 50404): each segment that failed (a write or
     * sync error) was left for recovery with its whole preallocation, counted only by what its
     * writer had appended, so six failed 1 MiB segments took 6,291,456 bytes against a bound of
     * 5,308,416. A failed segment now gives its reservation back and counts as allocated.
     */
    @Test
    void regressionFailedSegmentsKeepTheSpaceBound() throws Exception {
        runSeed(50404, probabilities());
    }

    /**
     * Regression (found by 1,000 fault seeds, seed 50850): a commit whose commit-log sync failed
     * threw, the caller then deleted the key, and after a process crash recovery applied the
     * failed record from the surviving page cache: the deleted block came back with the index
     * intact. A failed append's sequence number is now voided in the index.
     */
    @Test
    void regressionAFailedCommitNeverTakesEffectLater() throws Exception {
        runSeed(50850, probabilities());
    }

    @Test
    void randomEnospcAndEioThenPowerCut() throws Exception {
        double[] p = probabilities();
        int runs = 0;
        int faults = 0;
        long t0 = System.nanoTime();
        for (long seed : seeds(Integer.getInteger("spillway.fuzz.envSeeds", 40), 50_000)) {
            faults += runSeed(seed, p);
            runs++;
        }
        System.out.printf("[fuzz] environment faults: %d seeds, %d injected ENOSPC/EIO faults, %.1f s%n", runs, faults,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(faults > runs, "faults were injected: " + faults);
    }

    /** One seed: faults during the workload, then a power cut and a clean check; returns the faults injected. */
    private static int runSeed(long seed, double[] p) throws Exception {
        try (ModelRun run = new ModelRun(Choices.seeded(seed), REPLAY + seed, EnumSet.of(ModelRun.IndexFate.KEEP))) {
            return run.traced("seed " + seed, () -> {
                run.open();
                run.disk().faults().armRandom(seed, p);
                run.model().faultsActive = true;
                run.run(20, false);
                int faults = run.disk().faults().log().size();
                run.model().faultsActive = false;
                run.crashAfterFault(seed % 2 == 0, seed);
                run.finish();
                return faults;
            });
        }
    }

    @Test
    void bitRotInSealedSegmentsIsReportedNeverServed() throws Exception {
        int runs = 0;
        long corrupt = 0;
        int flips = 0;
        for (long seed : seeds(Integer.getInteger("spillway.fuzz.rotSeeds", 12), 70_000)) {
            try (ModelRun run = new ModelRun(Choices.seeded(seed), REPLAY + seed, EnumSet.of(ModelRun.IndexFate.KEEP))) {
                run.open();
                run.run(16, false);
                run.reopen(); // seals the active segments
                flips += run.flipBitsInSealedSegments(24, seed);
                run.verifyAll(); // right bytes or CORRUPT, never wrong bytes
                corrupt += run.counter("spillway.corrupt.blocks");
                run.finish();
                runs++;
            }
        }
        System.out.printf("[fuzz] store-level bit rot: %d seeds, %d bits flipped, %d loads reported CORRUPT, 0 wrong bytes%n",
                runs, flips, corrupt);
        if (System.getProperty("spillway.fuzz.seed") == null) { // one replayed seed may flip no payload bit
            assertTrue(corrupt > 0, "some flipped payload bit was caught by a load's CRC check");
        }
    }
}
