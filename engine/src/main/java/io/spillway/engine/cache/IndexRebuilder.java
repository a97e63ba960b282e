package io.spillway.engine.cache;

import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces the owner's index after an index operation failed (a segment lock held by a dead or
 * stalled process, usually): one rebuild at a time, on the tier's maintenance thread, with the
 * slot table's lock held (steps X1-X4 of {@link CacheRecovery}). Until one succeeds, the index
 * is suspect, and the owner's close leaves the clean-close flag unset so that the next owner
 * rebuilds it too.
 */
final class IndexRebuilder {

    private static final Logger LOG = LoggerFactory.getLogger(IndexRebuilder.class);

    private final CacheConfig config;
    private final FileIO io;
    private final SlotArena arena;
    private final CacheMetrics metrics;
    private final ExecutorService executor;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile SlotTable table;
    private volatile boolean suspect;

    IndexRebuilder(CacheConfig config, FileIO io, SlotArena arena, CacheMetrics metrics, ExecutorService executor) {
        this.config = config;
        this.io = io;
        this.arena = arena;
        this.metrics = metrics;
        this.executor = executor;
    }

    /** The table whose index is rebuilt (set once it exists: the table reports trouble to this object). */
    void table(SlotTable t) {
        this.table = t;
    }

    /** Whether an index operation failed and no rebuild succeeded since. */
    boolean suspect() {
        return suspect;
    }

    /** Schedules a rebuild, unless one is pending or the executor has stopped. */
    void request() {
        suspect = true;
        if (table == null || executor.isShutdown() || !pending.compareAndSet(false, true)) {
            return;
        }
        executor.execute(() -> {
            try {
                table.withLock(t -> {
                    try {
                        t.index(CacheRecovery.rebuild(config, io, arena, t.index(), t.servable()));
                        metrics.indexRebuilds.increment();
                        suspect = false;
                        LOG.warn("cache index replaced under epoch {}", arena.superblock().mapEpoch());
                    } catch (IOException e) {
                        LOG.error("rebuilding the cache index failed: {}; other processes may miss blocks", e.getMessage());
                    }
                });
            } finally {
                pending.set(false);
            }
        });
    }
}
