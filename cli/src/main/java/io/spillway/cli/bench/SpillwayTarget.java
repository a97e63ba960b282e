package io.spillway.cli.bench;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Spillway through its public API: one {@code dump} or {@code load} task per batch, awaited. A
 * bench that measures several durability modes runs one target per mode, each with its own id.
 */
public final class SpillwayTarget implements BenchTarget {

    /** The id of the only Spillway target, when one durability mode is measured. */
    public static final String ID = "spillway";

    private final SegmentStore store;
    private final String id;
    private final String label;

    /** The only Spillway target of a run: id {@link #ID}. */
    public SpillwayTarget(StoreConfig config) throws IOException {
        this(config, false);
    }

    /** @param oneOfSeveral the run measures several durability modes, so this one's id and label name its mode */
    public SpillwayTarget(StoreConfig config, boolean oneOfSeveral) throws IOException {
        this.store = SegmentStore.open(config);
        this.id = id(config.durability(), oneOfSeveral);
        this.label = oneOfSeveral ? "Spillway, durability " + config.durability().configName() : "Spillway";
    }

    /** {@link #ID}, or {@code spillway-<mode>} when the run measures several modes. */
    public static String id(Durability mode, boolean oneOfSeveral) {
        return oneOfSeveral ? ID + "-" + mode.configName() : ID;
    }

    /** Whether a target id is one of Spillway's. */
    public static boolean isSpillway(String targetId) {
        return targetId.equals(ID) || targetId.startsWith(ID + "-");
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String readPath() {
        return store.directIo() ? "O_DIRECT" : "buffered (O_DIRECT refused by the file system)";
    }

    public SegmentStore store() {
        return store;
    }

    @Override
    public int dump(int thread, List<BlockKey> keys, List<MemorySegment> sources) throws InterruptedException {
        TaskResult r = store.dump(keys, sources).await();
        return r.counts().getOrDefault(Outcome.OK, 0);
    }

    @Override
    public boolean[] load(int thread, List<BlockKey> keys, List<MemorySegment> destinations) throws InterruptedException {
        TaskResult r = store.load(keys, destinations).await();
        boolean[] ok = new boolean[keys.size()];
        for (int i = 0; i < ok.length; i++) {
            ok[i] = r.outcome(i) == Outcome.OK;
        }
        return ok;
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
