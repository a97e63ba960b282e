package io.spillway.engine.cache;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The {@code Cache|Disk} pipeline's hand-offs to its disk tier: blocks the DRAM tier does not
 * take (too large, the tier down, a CLEAN copy the disk lost), and DRAM misses, which are read
 * from disk and promoted. A pipeline task's blocks are finished by the disk tier's answers.
 */
final class DiskHandoff {

    private final StoreConfig config;
    private final SegmentStore disk;
    private final CacheTier cache; // null when it could not be opened
    private final BooleanSupplier cacheUp;

    DiskHandoff(StoreConfig config, SegmentStore disk, CacheTier cache, BooleanSupplier cacheUp) {
        this.config = config;
        this.disk = disk;
        this.cache = cache;
        this.cacheUp = cacheUp;
    }

    /** Whether a block on the disk tier is durable: not under {@code durability: none}, as the disk tier's own dedup says. */
    boolean diskSyncs() {
        return config.durability() != Durability.NONE;
    }

    /** Whether the disk tier holds {@code key} now; a failed lookup counts as no. */
    boolean onDisk(BlockKey key) {
        try {
            return disk.lookup(List.of(key)).get(0);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Gives blocks {@code which} of {@code t} to the disk tier; its answers finish them (both futures). */
    void toDisk(CacheTask t, List<Integer> which, List<BlockKey> keys, List<List<MemorySegment>> sources) {
        if (which.isEmpty()) {
            return;
        }
        List<BlockKey> k = subset(keys, which);
        List<List<MemorySegment>> s = subset(sources, which);
        disk.dumpScattered(k, s).future().thenAccept(r -> {
            for (int j = 0; j < which.size(); j++) {
                int i = which.get(j);
                t.tryFinish(i, r.outcome(j), r.details().get(j), r.outcome(j).ok() ? s.get(j).stream()
                        .mapToLong(MemorySegment::byteSize).sum() : 0, r.durable());
                t.durability().settle(i, r.outcome(j), r.details().get(j), r.durable());
            }
        });
    }

    /** Reads blocks {@code which} of {@code t} from the disk tier, promoting the hits into DRAM. */
    void fromDisk(CacheTask t, List<Integer> which, List<BlockKey> keys, BlockArgs.Checked c) {
        if (which.isEmpty()) {
            return;
        }
        List<BlockKey> k = subset(keys, which);
        List<List<MemorySegment>> d = subset(c.buffers(), which);
        // The answer is handled on a copy thread: promotions are memcpys, and the disk tier's
        // reader that completed the task should go back to reading.
        disk.loadScattered(k, d).future().thenAccept(r -> {
            Runnable finish = () -> {
                for (int j = 0; j < which.size(); j++) {
                    int i = which.get(j);
                    int size = (int) d.get(j).stream().mapToLong(MemorySegment::byteSize).sum();
                    if (r.outcome(j) == Outcome.OK && t.claim(i)) {
                        try {
                            promote(k.get(j), d.get(j), size);
                        } catch (RuntimeException | InternalError e) {
                            cache.jobFailed(e); // the block is loaded; only its promotion failed
                        }
                        t.finishClaimed(i, Outcome.OK, null, size, false);
                    } else {
                        t.tryFinish(i, r.outcome(j), r.details().get(j), 0, false);
                    }
                }
            };
            if (cache == null || !cache.pool().execute(finish)) {
                finish.run();
            }
        });
    }

    /** Copies a disk-tier hit into DRAM as CLEAN, if the policy and the tier allow (the task still owns {@code dst}). */
    private void promote(BlockKey key, List<MemorySegment> dst, int size) {
        if (cache == null || !cache.cacheConfig().promotion() || !cacheUp.getAsBoolean() || !cache.fits(size)) {
            return;
        }
        if (cache.storeNow(key, dst, size, SlotState.CLEAN).kind() == StoreResult.Kind.STORED) {
            cache.cacheMetrics().promotions.increment();
        }
    }

    /** The elements of {@code all} at {@code which} (all of them when {@code which} is every index). */
    static <T> List<T> subset(List<T> all, List<Integer> which) {
        return which.size() == all.size() ? all : which.stream().map(all::get).toList();
    }
}
