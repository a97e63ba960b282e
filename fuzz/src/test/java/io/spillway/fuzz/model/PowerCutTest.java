package io.spillway.fuzz.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Simulated power loss (issue 5, part 3) and the seeded model-based test (part 2): each seed is
 * a random store configuration, a random run of operations with crashes and clean reopens among
 * them, and a final power cut, checked against the model after every step.
 *
 * <p>Seeds: {@code -Dspillway.fuzz.seeds=N} (1000 by default, 10000 under {@code -Pfuzz-long}),
 * from {@code -Dspillway.fuzz.seedBase} (0). Replay one: {@code -Dspillway.fuzz.seed=S}.
 */
class PowerCutTest {

    static final String REPLAY = "mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=PowerCutTest -Dspillway.fuzz.seed=";

    /**
     * The index fates a cut may pick: kept, rolled back to the last clean close, or deleted. All
     * three get the full oracle (every durable block back, byte-identical); with a stale or lost
     * index, deleted generations may come back ({@link StoreModel#indexLost()}).
     */
    static final EnumSet<ModelRun.IndexFate> FATES = EnumSet.allOf(ModelRun.IndexFate.class);

    /** Operations before the final cut; crashes and clean reopens among them add more cuts. */
    static final int OPS = 12;

    @Test
    void powerCutSeeds() throws Exception {
        String one = System.getProperty("spillway.fuzz.seed");
        long base = Long.getLong("spillway.fuzz.seedBase", 0);
        int count = one != null ? 1 : Integer.getInteger("spillway.fuzz.seeds", 1000);
        long first = one != null ? Long.parseLong(one) : base;
        // Seeds spend most of their time waiting (thread hand-offs, the appender's 50 ms poll at close),
        // so two runs per core keep the cores busy without oversubscribing them.
        int threads = one != null ? 1 : 2 * Runtime.getRuntime().availableProcessors();
        AtomicInteger steps = new AtomicInteger();
        AtomicInteger crashes = new AtomicInteger();
        long t0 = System.nanoTime();
        AssertionError failed = null;
        int ran = 0;
        try {
            ran = ParallelRuns.run("power-cut", count, threads, i -> {
                int[] r = runSeed(first + i);
                steps.addAndGet(r[0]);
                crashes.addAndGet(r[1]);
            });
        } catch (AssertionError e) {
            failed = e;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("[fuzz] power-cut seeds run: %d (from %d), operations: %d, crashes: %d, %.1f s%n",
                ran, first, steps.get(), crashes.get(), secs);
        // Where a seed's time goes (store opens and crash-closes dominate; see ModelRun.tempRoot).
        System.out.printf("[fuzz] power-cut time in store opens %.1f s, in closes after a crash %.1f s, in %d fsck runs after"
                        + " recovery %.1f s (thread time)%n", ModelRun.OPEN_NS.get() / 1e9, ModelRun.CLOSE_NS.get() / 1e9,
                ModelRun.FSCK_RUNS.get(), ModelRun.FSCK_NS.get() / 1e9);
        if (failed != null) {
            throw failed;
        }
        assertTrue(crashes.get() >= count, "every seed ends with a power cut");
    }

    /**
     * Seeds that found real bugs, kept so that they run whatever seed range is chosen:
     * <ul>
     *   <li>72: manual commit, index deleted: committed blocks were lost (now in the commit log);
     *   <li>472: index rolled back past an eviction: a newer durable copy in an open segment was
     *       not re-indexed because the stale entry pointed into the evicted segment;
     *   <li>964: index rolled back past an eviction, with a clean-shutdown marker: the fast path
     *       kept entries into the evicted segment (found by fsck after recovery).
     * </ul>
     */
    @Test
    void regressionSeeds() throws Exception {
        for (long seed : new long[] {72, 472, 964}) {
            runSeed(seed);
        }
    }

    /** One seed: returns {steps, crashes}. */
    static int[] runSeed(long seed) throws Exception {
        try (ModelRun run = new ModelRun(Choices.seeded(seed), REPLAY + seed, FATES)) {
            return run.traced("seed " + seed, () -> {
                run.open();
                // One seed in four also crashes or reopens mid-run; the rest pay for two opens only.
                run.run(OPS, seed % 4 == 0);
                run.crashAfterFault(false, seed * 31 + 7);
                run.finish();
                return new int[] {run.steps(), run.crashes()};
            });
        }
    }
}
