package io.spillway.engine.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.cache.CacheTier;
import io.spillway.engine.cache.PipelineStore;
import io.spillway.engine.shared.SharedStore;
import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * A KV block store: the seeds' connector interface (dump, load, lookup, wait, commit).
 *
 * <p>Implementations: the segment store (aligned segment files and a RocksDB index, {@link
 * SegmentStore}); the host DRAM tier and the {@code Cache|Disk} pipeline follow the same
 * contract, and the daemon serves any of them.
 *
 * <p>The contract every implementation keeps:
 * <ul>
 *   <li>Thread-safe. {@link #dump} and {@link #load} never block the caller: they queue a {@link
 *       Task} and return; the task completes with a per-block {@link Outcome} by its deadline,
 *       even if the IO under it hangs.
 *   <li>A load returns exactly the bytes of the last committed dump of its key, or reports the
 *       block {@link Outcome#MISSING} or {@link Outcome#CORRUPT} and leaves its destination
 *       untouched. One exception, for speed: with {@code cache_verify: while_copying} (the
 *       default), a DRAM hit of the cache tier checks its CRC32C as it copies, so a CORRUPT DRAM
 *       block has reached the destination (never reported OK; the {@code Cache|Disk} pipeline
 *       then loads the disk tier's copy over it). {@code before_copying} keeps it untouched.
 *   <li>A block becomes visible to {@link #lookup} only when its whole record is written and
 *       committed; a failed or rolled-back dump never does.
 *   <li>Buffers are {@link MemorySegment}s (heap, direct or native, pinned GPU staging memory
 *       included). A dump's sources are read until its blocks are copied out; a load's
 *       destinations are written only with verified bytes (the DRAM hit above excepted). After a
 *       task completes, and after it times out, the store no longer touches its buffers.
 *   <li>Invalid arguments (mismatched lists, null elements, a block outside 4 KiB to 256 MiB, a
 *       buffer the store's threads cannot reach) are refused at once with an {@link
 *       IllegalArgumentException} that says what is wrong; a single bad block never throws.
 * </ul>
 */
public interface BlockStore extends AutoCloseable {

    /** The smallest block accepted. */
    int MIN_BLOCK_BYTES = 4096;
    /** The largest block accepted (256 MiB). */
    int MAX_BLOCK_BYTES = 256 << 20;

    /**
     * Opens (creating if needed) the store that {@code config} describes, with a private metrics
     * registry: by {@code store_pipeline}, the segment store ({@code "Disk"}, see {@link
     * SegmentStore#open(StoreConfig, MeterRegistry)} for the steps), the DRAM tier in front of it
     * ({@code "Cache|Disk"}, {@link PipelineStore}) or the DRAM tier alone ({@code "Cache"},
     * {@link CacheTier}).
     */
    static BlockStore open(StoreConfig config) throws IOException {
        return open(config, new SimpleMeterRegistry());
    }

    /** Opens the store, its meters going to {@code registry}. */
    static BlockStore open(StoreConfig config, MeterRegistry registry) throws IOException {
        return switch (config.storePipeline()) {
            // A directory with writers/ is a store shared by many writers (issue 15).
            case DISK -> SharedStore.isShared(config) ? SharedStore.open(config, registry) : SegmentStore.open(config, registry);
            case CACHE_DISK -> PipelineStore.open(config, registry);
            case CACHE -> CacheTier.open(config, registry);
        };
    }

    /** Which of {@code keys} are stored and committed. */
    BitSet lookup(List<BlockKey> keys) throws IOException;

    /** How many leading keys of a prefix chain are stored, stopping at the first miss. */
    int lookupPrefix(List<BlockKey> keys) throws IOException;

    /** Dumps one contiguous buffer per block. See {@link #dumpScattered}. */
    default Task dump(List<BlockKey> keys, List<MemorySegment> sources) {
        return dumpScattered(keys, BlockBuffers.singletons(sources, "sources"));
    }

    /**
     * Dumps blocks, each given as pieces (one per layer, say) that are concatenated in the store.
     *
     * <p>A key already stored, or being dumped by another task, is not written again; its block
     * ends {@link Outcome#OK} and counts in {@link TaskResult#deduplicated()}. Under auto-commit
     * (the default) blocks become visible once written (and synced, unless durability is none);
     * otherwise at {@link #commit}.
     */
    Task dumpScattered(List<BlockKey> keys, List<List<MemorySegment>> sources);

    /** Loads each block into one contiguous buffer of exactly the block's size. See {@link #loadScattered}. */
    default Task load(List<BlockKey> keys, List<MemorySegment> destinations) {
        return loadScattered(keys, BlockBuffers.singletons(destinations, "destinations"));
    }

    /**
     * Loads blocks into pieces whose sizes add up to each block's size. A block not stored ends
     * {@link Outcome#MISSING}; one whose bytes fail their checksum ends {@link Outcome#CORRUPT}
     * and its destination is left untouched (a DRAM hit excepted: see the contract above).
     */
    Task loadScattered(List<BlockKey> keys, List<List<MemorySegment>> destinations);

    /**
     * Makes manual-commit dumps visible ({@code success}) or rolls them back. Blocks still being
     * written take the decision when they finish. A no-op under auto-commit.
     *
     * @return how many keys were awaiting a decision
     */
    int commit(List<BlockKey> keys, boolean success) throws IOException;

    /**
     * Removes blocks.
     *
     * @return how many of the keys were stored, awaiting commit or being dumped
     */
    int delete(List<BlockKey> keys) throws IOException;

    /** A snapshot of space, counts, counters and config. */
    StoreStats stats() throws IOException;

    /** The store's meters. */
    MeterRegistry metrics();

    /** The configuration the store was opened with. */
    StoreConfig config();

    /** The host-shared DRAM arena clients may copy blocks out of, if the store has a DRAM tier. */
    default Optional<SharedArena> sharedArena() {
        return Optional.empty();
    }

    /**
     * Closes the store: stops admitting tasks, lets queued and running ones finish (each within
     * its deadline), makes what it holds durable as its configuration promises and releases its
     * locks. Idempotent.
     */
    @Override
    void close() throws IOException;
}
