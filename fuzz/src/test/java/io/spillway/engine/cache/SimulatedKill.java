package io.spillway.engine.cache;

import java.io.IOException;

/**
 * For fuzz/'s model-based pipeline runs (in this package to reach the tier's internals): ends a
 * {@link PipelineStore} the way a kill -9 leaves its DRAM tier. The tier is marked failed, so its
 * close skips what only a clean close does (the access clock, the clean-close flag): the next
 * owner finds an unclean arena and rebuilds its index from the slot headers, as after a real
 * kill. The caller makes the disk tier's IO fail first, so nothing more is written back.
 */
public final class SimulatedKill {

    private SimulatedKill() {
    }

    public static void kill(PipelineStore store) throws IOException {
        if (store.cacheTier() != null) {
            store.cacheTier().fail("simulated kill -9 of the owner (model run)");
        }
        store.close();
    }
}
