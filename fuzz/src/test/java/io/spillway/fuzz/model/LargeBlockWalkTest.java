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
 * that far. Before the fix in {@code GcWriter} the compaction of such a segment dropped its large
 * blocks, which the model reports as a lost durable block.
 */
class LargeBlockWalkTest {

    static final int RUNS = Integer.getInteger("spillway.fuzz.largeRuns", 24);
    static final int OPS = 80;
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
