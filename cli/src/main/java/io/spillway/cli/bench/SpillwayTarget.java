package io.spillway.cli.bench;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** Spillway through its public API: one {@code dump} or {@code load} task per batch, awaited. */
public final class SpillwayTarget implements BenchTarget {

    public static final String ID = "spillway";

    private final SegmentStore store;

    public SpillwayTarget(StoreConfig config) throws IOException {
        this.store = SegmentStore.open(config);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String label() {
        return "Spillway";
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
