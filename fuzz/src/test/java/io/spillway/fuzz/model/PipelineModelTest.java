package io.spillway.fuzz.model;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The seeded model-based test of the {@code Cache|Disk} pipeline ({@link PipelineModelRun}): each
 * seed is a random configuration and a random run of dumps, loads, lookups, deletes, disk GC
 * passes, clean reopens, process crashes and host reboots, checked against the model after every
 * step, and ends with a clean close and {@code fsck --cache}.
 *
 * <p>Seeds: {@code -Dspillway.fuzz.pipelineSeeds=N} (24 by default), from {@code
 * -Dspillway.fuzz.seedBase} (0). Replay one: {@code -Dspillway.fuzz.seed=S}.
 */
class PipelineModelTest {

    static final String REPLAY = "mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=PipelineModelTest -Dspillway.fuzz.seed=";

    /** Operations per seed: enough for several restarts (a DRAM tier open costs tens of ms once warm). */
    static final int OPS = 60;

    @Test
    void pipelineSeeds() throws Exception {
        String one = System.getProperty("spillway.fuzz.seed");
        long first = one != null ? Long.parseLong(one) : Long.getLong("spillway.fuzz.seedBase", 0);
        int count = one != null ? 1 : Integer.getInteger("spillway.fuzz.pipelineSeeds", 24);
        int threads = one != null ? 1 : Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger steps = new AtomicInteger();
        long t0 = System.nanoTime();
        int ran = ParallelRuns.run("pipeline-model", count, threads, i -> steps.addAndGet(runSeed(first + i)));
        System.out.printf("[fuzz] pipeline seeds run: %d (from %d), operations: %d (process crashes %d, host reboots %d), %.1f s%n",
                ran, first, steps.get(), PipelineModelRun.CRASHES.get(), PipelineModelRun.REBOOTS.get(),
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Seeds that found real bugs, kept whatever seed range is chosen:
     * <ul>
     *   <li>0: under durability none a dump deduplicated against a written-back block was called
     *       durable (lost at the reboot), and one deduplicated against the disk tier never settled
     *       its {@code whenDurable};
     *   <li>13: a CLEAN DRAM block the disk GC had evicted was dumped again: the DRAM copy and the
     *       new disk copy were both served, one after the other;
     *   <li>18: a key deleted while its write-back was in flight and dumped again: the new dump
     *       was deduplicated against the deleted one, and vanished when that write-back landed.
     * </ul>
     */
    @Test
    void regressionSeeds() throws Exception {
        for (long seed : new long[] {0, 13, 18}) {
            runSeed(seed);
        }
    }

    /** One seed; returns its step count. */
    static int runSeed(long seed) throws Exception {
        try (PipelineModelRun run = new PipelineModelRun(Choices.seeded(seed), REPLAY + seed)) {
            run.open();
            run.run(OPS);
            run.finish();
            return run.steps();
        }
    }
}
