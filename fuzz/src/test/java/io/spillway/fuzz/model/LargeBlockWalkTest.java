package io.spillway.fuzz.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Long walks, without power cuts, of the runs whose blocks are partly larger than a write group
 * (see {@link ModelRun}): deletes and re-dumps leave sealed segments sparse, and a GC pass that
 * compacts them must keep every live block. {@link PowerCutTest}'s 12-operation seeds rarely get
 * that far. Each of two fixed bugs fails it on its own: {@code GcWriter} dropping the blocks that
 * did not fit its buffers (seed 28: a required block missing), and a manual commit publishing a
 * dump that its segment's eviction had dropped (seed 138: lookupPrefix claims a block whose load
 * is MISSING).
 */
class LargeBlockWalkTest {

    static final int RUNS = Integer.getInteger("spillway.fuzz.largeRuns", 48);
    static final int OPS = 150;
    static final String REPLAY = "mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=LargeBlockWalkTest"
            + " (seed ";

    @Test
    void compactionKeepsEveryLiveBlockOfLargeBlockRuns() throws Exception {
        int ran = 0;
        AtomicLong compactions = new AtomicLong();
        for (long seed = 0; ran < RUNS && seed < 100 * RUNS; seed++) {
            try (ModelRun run = new ModelRun(Choices.seeded(seed), REPLAY + seed + ")", EnumSet.of(ModelRun.IndexFate.KEEP))) {
                if (!run.largeBlocks()) {
                    continue;
                }
                ran++;
                run.open();
                run.run(OPS, false);
                run.finish();
                compactions.addAndGet(run.compactions());
            }
        }
        assertEquals(RUNS, ran, "large-block runs found");
        System.out.println("[fuzz] large-block walks: " + ran + " runs of " + OPS + " operations, " + compactions.get()
                + " segments compacted by their GC passes");
        assertTrue(compactions.get() > 0, "the walks compacted nothing: they test nothing");
    }
}
