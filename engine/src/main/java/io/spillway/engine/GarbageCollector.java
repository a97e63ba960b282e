package io.spillway.engine;

import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.policy.EvictionPolicy;
import io.spillway.engine.policy.ReinsertionPolicy;
import io.spillway.index.SegmentStats;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store within its capacity by evicting whole sealed segments, in the manner of
 * CacheLib Navy's region eviction: no per-block deletes, no directory crawls, write amplification
 * near 1 because cold data is never copied.
 *
 * <p>A pass, on its own thread every second, on demand ({@link SegmentStore#gc}), or urgently when a
 * writer needs a segment and the store is at capacity:
 * <ol>
 *   <li><b>TTL</b>: a sealed segment whose newest record is older than {@code ttl} is evicted
 *       without copying anything.
 *   <li><b>Compaction</b>: a sealed segment whose live fraction (from the index's per-segment
 *       accounting) fell below {@code compaction_threshold} has its live blocks copied forward,
 *       then is evicted.
 *   <li><b>Capacity</b>: while the segments' allocated space exceeds the high watermark (then
 *       down to the low one), evict the victim the catalog's {@link EvictionPolicy} names, oldest
 *       first ({@code fifo}) or least recently read ({@code lru}); before that, copy forward the
 *       blocks the {@link ReinsertionPolicy} keeps (by default those read at least {@code
 *       reinsert_hits} times, hottest first, within a budget of {@code reinsert_budget_percent}
 *       of the bytes users wrote).
 * </ol>
 * Copies are throttled to {@code gc_max_bytes_per_sec}; evicting costs no data IO.
 *
 * <p>Eviction of segment S, each step safe to crash after (recovery finishes step 2's work):
 * <ol>
 *   <li>copy forward what is to be kept, through {@link GcWriter}: copy, fdatasync, conditional
 *       index update;
 *   <li>rename {@code seg-S.seg} to {@code seg-S.deleted} and fsync the directory: the durable
 *       decision to delete;
 *   <li>remove the index entries that still point into S, in one batch, and S's accounting;
 *   <li>retire S in the catalog (new loads of it report missing) and wait for the loads in flight
 *       to drain (bounded by the task deadline);
 *   <li>delete the file and fsync the directory.
 * </ol>
 * Recovery rolls an eviction forward from step 2 ({@code EvictionRecovery}).
 *
 * <p>A load racing an eviction either completes with the right bytes (it took its reference before
 * step 4, and the file is only deleted after) or reports the block missing; never an error.
 */
final class GarbageCollector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    private static final long INTERVAL_MILLIS = 1000;

    private final StoreContext ctx;
    private final StoreConfig config;
    private final GcWriter writer;
    private final Throttle throttle;
    private final Object passLock = new Object();
    private final Semaphore wake = new Semaphore(0);
    private final GcMetrics metrics;
    /** Asked only under {@link #passLock}, as it is not thread-safe. */
    private final ReinsertionPolicy reinsertion;
    private Thread thread;
    private volatile boolean stopping;
    /** Whether the lack of space for copies was logged since copies last worked. */
    private boolean noSpaceReported;

    /** @param reinsertion which blocks of a segment evicted for capacity are copied forward */
    GarbageCollector(StoreContext ctx, List<Backend> backends, ReinsertionPolicy reinsertion) {
        this.ctx = ctx;
        this.config = ctx.config();
        this.reinsertion = reinsertion;
        this.writer = new GcWriter(ctx, backends);
        this.throttle = new Throttle(config.gcMaxBytesPerSec().bytes());
        this.metrics = new GcMetrics(ctx);
    }

    void start() {
        thread = Thread.ofPlatform().name("spillway-gc").daemon(true).start(this::loop);
    }

    private void loop() {
        while (!stopping) {
            try {
                wake.tryAcquire(INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
                wake.drainPermits();
                if (!stopping) {
                    runPass(-1);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // The cause in one line; its stack trace only at debug level (--verbose): a pass
                // that fails fails again every second, and the trace says nothing new.
                LOG.error("GC pass failed ({}); retrying in {} ms", e.toString(), INTERVAL_MILLIS);
                LOG.debug("GC pass failure", e);
            }
        }
    }

    /** The capacity in bytes, or Long.MAX_VALUE when unlimited. */
    private long capacity() {
        return ctx.capacityBytes();
    }

    /**
     * Called by an append worker that needs a new segment while the store is at capacity, or the
     * file system is full: runs eviction now, on the caller's (writer) thread, until a segment
     * fits. Fails fast: it waits (briefly) only while some writer's filled segment is still being
     * sealed, the one thing that can make more evictable without a GC pass.
     *
     * @param noSpace the file system refused the space (ENOSPC): room is then made below what the
     *     store takes now, whatever the capacity says
     * @return whether there is room for {@code bytes} more
     */
    boolean makeRoom(long bytes, boolean noSpace) throws IOException, InterruptedException {
        if (!noSpace && ctx.space().usedBytes() <= capacity() - bytes) {
            return true;
        }
        // Routine in a store that runs at capacity (every segment roll), so not logged above debug.
        LOG.debug("store at capacity: evicting until {} bytes are free", bytes);
        long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        long target = 0;
        boolean targetSet = false;
        while (true) {
            boolean reached;
            synchronized (passLock) {
                if (!targetSet) {
                    // Measured under the lock: writers that hit ENOSPC together each make their own
                    // room, below what the eviction before them left, rather than all counting the
                    // one segment the first of them freed (and all but one failing again).
                    target = (noSpace ? Math.min(capacity(), ctx.space().usedBytes()) : capacity()) - bytes;
                    targetSet = true;
                }
                // On a full file system nothing is copied forward: the copies would need the space.
                reached = evictUntil(target, noSpace ? "no space" : "capacity", noSpace ? Keep.NOTHING : Keep.HOT);
            }
            // Reached once is room made: the other writers' appends since then are theirs, within
            // the one segment per active writer the capacity allows for.
            if (reached) {
                return true;
            }
            if (!ctx.catalog().anyRetiring() || System.nanoTime() > giveUp) {
                return false;
            }
            Thread.sleep(10);
        }
    }

    /**
     * One pass, see the class comment.
     *
     * @param untilBytes evict until the store's data ({@link SegmentCatalog#dataBytes}) is at most
     *     this, whatever the watermarks say; -1 for the watermark policy
     */
    GcReport runPass(long untilBytes) throws IOException, InterruptedException {
        synchronized (passLock) {
            long t0 = System.nanoTime();
            GcMetrics.Snapshot before = metrics.snapshot();
            long usedBefore = ctx.catalog().allocatedBytes();
            if (!config.ttl().isZero()) {
                expire();
            }
            compact();
            long cap = capacity();
            if (untilBytes >= 0) {
                evictUntil(untilBytes, "requested", Keep.HOT);
            } else if (cap != Long.MAX_VALUE && ctx.space().usedBytes() > (long) (cap * config.gcHighWatermark())) {
                evictUntil((long) (cap * config.gcLowWatermark()), "watermark", Keep.HOT);
            }
            return metrics.report(before, usedBefore, ctx.catalog().allocatedBytes(), Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** Wakes the GC thread (a dump found the store full, say). */
    void wakeUp() {
        wake.release();
    }

    /** Whether the GC may evict {@code e}: sealed, not failed, not the segment the GC itself is writing. */
    private boolean evictable(SegmentCatalog.Entry e, long gcActive) {
        return e.state == SegmentPath.State.SEALED && e.id != gcActive && !ctx.catalog().isFailed(e.id)
                && ctx.catalog().gcAllows(e.id);
    }

    /** The segments the GC may evict, by id (TTL and compaction go over all of them). */
    private List<SegmentCatalog.Entry> candidates() {
        long gcActive = writer.activeSegmentId();
        List<SegmentCatalog.Entry> out = new ArrayList<>();
        for (SegmentCatalog.Entry e : ctx.catalog().entries()) {
            if (evictable(e, gcActive)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Evicts until the space the store takes ({@link SpaceUsage}) is at most {@code target},
     * copying forward what {@code keep} says of each victim.
     *
     * @return whether it got there (false: nothing left to evict)
     */
    private boolean evictUntil(long target, String why, Keep keep) throws IOException, InterruptedException {
        while (ctx.space().usedBytes() > target) {
            long gcActive = writer.activeSegmentId();
            SegmentCatalog.Entry victim = ctx.catalog().victim(e -> evictable(e, gcActive));
            if (victim == null) {
                LOG.debug("{}: nothing left to evict ({} bytes used, target {})", why, ctx.space().usedBytes(), target);
                return false;
            }
            evict(victim, keep);
        }
        return true;
    }

    private void compact() throws IOException, InterruptedException {
        Map<Long, SegmentStats> stats = ctx.index().segmentStats();
        for (SegmentCatalog.Entry e : candidates()) {
            SegmentStats s = stats.get(e.id);
            if (s == null || s.bytes() == 0) {
                continue;
            }
            // A shared store compacts only this writer's own segments: another writer's live fraction here is not its peers'.
            if (s.liveRatio() < config.compactionThreshold() && ctx.catalog().compactable(e.id)) {
                LOG.debug("compacting segment {}: live {} of {} bytes", e.id, s.liveBytes(), s.bytes());
                if (evict(e, Keep.ALL_LIVE) >= 0) {
                    metrics.compactedSegments.increment();
                }
            }
        }
    }

    private void expire() throws IOException, InterruptedException {
        long cutoff = System.currentTimeMillis() - config.ttl().toMillis();
        for (SegmentCatalog.Entry e : candidates()) {
            long newest = e.newestWriteMillis;
            if (newest < 0) {
                try {
                    newest = e.reader().readFooter().entries().stream().mapToLong(x -> x.location().writeTimeMillis()).max().orElse(0);
                } catch (CorruptRecordException unreadable) {
                    newest = Long.MAX_VALUE; // age unknown: left to capacity eviction, never retried every pass
                }
                e.newestWriteMillis = newest;
            }
            if (newest < cutoff) {
                long live = evict(e, Keep.NOTHING);
                metrics.expiredBlocks.increment(live);
            }
        }
    }

    /** What eviction copies forward before dropping a segment. */
    private enum Keep { NOTHING, HOT, ALL_LIVE }

    /**
     * Evicts one segment; see the class comment's steps.
     *
     * @return how many live blocks it held, or -1 when a compaction found no space for its copies
     *     and kept the segment (compaction drops nothing; the next pass tries again)
     */
    private long evict(SegmentCatalog.Entry victim, Keep keep) throws IOException, InterruptedException {
        long id = victim.id;
        List<SegmentFooter.Entry> records = records(victim);
        if (records == null) {
            keep = Keep.NOTHING;
            records = indexedIn(id);
        }
        List<RecordKey> keys = records.stream().map(SegmentFooter.Entry::key).toList();
        List<BlockLocation> current = ctx.index().getAll(keys);
        // Dumps awaiting a manual commit are live too: compaction keeps them for their commit.
        List<BlockLocation> awaiting = ctx.publisher().uncommittedAt(keys);
        List<GcWriter.Move> liveBlocks = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            BlockLocation r = records.get(i).location();
            for (BlockLocation c : new BlockLocation[] {current.get(i), awaiting.get(i)}) {
                if (c != null && c.segmentId() == id && c.payloadOffset() == r.payloadOffset()) {
                    liveBlocks.add(new GcWriter.Move(keys.get(i), c));
                    break;
                }
            }
        }
        List<GcWriter.Move> moves = switch (keep) {
            case NOTHING -> List.of();
            case ALL_LIVE -> liveBlocks;
            case HOT -> reinserted(victim, liveBlocks);
        };
        // Step 1: copy forward.
        GcWriter.Moved moved = copyForward(moves);
        if (moved == null) {
            if (keep == Keep.ALL_LIVE) {
                return -1;
            }
            moved = GcWriter.Moved.NOTHING; // an eviction: it goes on without its copies
        }
        metrics.bytesWritten.increment(moved.bytesWritten());
        (keep == Keep.HOT ? metrics.reinsertedBlocks : metrics.copiedBlocks).increment(moved.blocksMoved());
        // Step 2: the durable decision.
        Backend b = victim.backend;
        SegmentPath sealed = new SegmentPath(id, SegmentPath.State.SEALED);
        b.io().rename(sealed.in(b.dir()), sealed.as(SegmentPath.State.DELETING).in(b.dir()));
        b.io().syncDirectory(b.dir());
        victim.state = SegmentPath.State.DELETING;
        // Step 3: unindex what was not moved.
        Publisher.Removed removed = ctx.publisher().removeIn(keys, id);
        ctx.index().forgetSegment(id);
        // Steps 4 and 5.
        finishDelete(victim);
        metrics.evictedSegments.increment();
        metrics.evictedBlocks.increment(removed.entries());
        metrics.evictedBytes.increment(removed.rawBytes());
        LOG.debug("evicted segment {}: {} live blocks, {} copied forward, {} dropped", id, liveBlocks.size(), moved.blocksMoved(),
                removed.entries());
        return liveBlocks.size();
    }

    /**
     * The records of {@code victim} from its footer; null when its header or footer cannot be
     * read (bit rot, a cut file). Such a segment is evicted without copying anything forward (no
     * copy could be read back as its), its keys taken from the index instead: failing the pass
     * would fail every later pass, and every dump that needs its space, on the same segment.
     */
    private List<SegmentFooter.Entry> records(SegmentCatalog.Entry victim) throws IOException {
        try {
            return victim.reader().readFooter().entries();
        } catch (CorruptRecordException e) {
            LOG.warn("segment {} cannot be read ({}); evicting it without copying anything forward (while a damaged"
                    + " segment is on disk, fsck --repair salvages its records)", victim.id, e.getMessage());
            return null;
        }
    }

    /** The index entries that point into segment {@code id} (a pass over the index: only for a segment without a readable footer). */
    private List<SegmentFooter.Entry> indexedIn(long id) throws IOException {
        List<SegmentFooter.Entry> out = new ArrayList<>();
        ctx.index().forEach((key, loc) -> {
            if (loc != null && loc.segmentId() == id) {
                out.add(new SegmentFooter.Entry(key, loc));
            }
            return true;
        });
        return out;
    }

    /**
     * Step 1 of an eviction. Where the file system has no space for the GC's copies (its segment
     * cannot be allocated or written), returns null: an eviction then goes on without them (the
     * store degrades to evicting without reinsertion, instead of failing every pass and every dump
     * waiting on one), and a compaction keeps its segment, since evicting it would drop live blocks
     * no policy chose (found by the fuzz model under injected ENOSPC). Said once until copies work
     * again. Copies made before the failure stay: their index entries already point at them.
     */
    private GcWriter.Moved copyForward(List<GcWriter.Move> moves) throws IOException, InterruptedException {
        if (moves.isEmpty()) {
            return GcWriter.Moved.NOTHING;
        }
        try {
            GcWriter.Moved moved = writer.move(moves, throttle);
            noSpaceReported = false;
            return moved;
        } catch (IOException e) {
            if (!NoSpace.is(e)) {
                throw e;
            }
            if (!noSpaceReported) {
                noSpaceReported = true;
                LOG.warn("no space for the GC's copies ({}): evicting without copying blocks forward, and not compacting,"
                        + " until there is", e.getMessage());
            }
            return null;
        }
    }

    /**
     * The live blocks of {@code victim} the reinsertion policy keeps. It is asked hottest block
     * first (so the hottest are kept while a budget lasts); the kept ones are copied in file
     * order, so a prefix chain stays together.
     */
    private List<GcWriter.Move> reinserted(SegmentCatalog.Entry victim, List<GcWriter.Move> liveBlocks) {
        List<Integer> order = new ArrayList<>(liveBlocks.size());
        int[] hits = new int[liveBlocks.size()];
        for (int i = 0; i < liveBlocks.size(); i++) {
            order.add(i);
            hits[i] = victim.hitsAt(liveBlocks.get(i).from().payloadOffset());
        }
        order.sort(Comparator.comparingInt((Integer i) -> -hits[i]).thenComparingInt(i -> i));
        boolean[] kept = new boolean[liveBlocks.size()];
        for (int i : order) {
            kept[i] = reinsertion.reinsert(hits[i], liveBlocks.get(i).from().storedLength());
        }
        List<GcWriter.Move> out = new ArrayList<>();
        for (int i = 0; i < liveBlocks.size(); i++) {
            if (kept[i]) {
                out.add(liveBlocks.get(i));
            }
        }
        return out;
    }

    /** Steps 4 and 5: retire, drain (bounded), delete, fsync the directory. */
    private void finishDelete(SegmentCatalog.Entry victim) throws IOException, InterruptedException {
        victim.retire();
        long deadline = System.nanoTime() + config.timeout().toNanos();
        while (!victim.drained() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (!victim.drained()) {
            // A load stuck in IO. Deleting is still safe on a local file system (the open
            // descriptor keeps the data); it just no longer waits.
            LOG.warn("segment {}: a load is still reading after {} ms; deleting anyway", victim.id, config.timeout().toMillis());
        }
        Backend b = victim.backend;
        ctx.catalog().remove(victim.id);
        b.io().delete(new SegmentPath(victim.id, SegmentPath.State.DELETING).in(b.dir()));
        b.io().syncDirectory(b.dir());
    }

    @Override
    public void close() throws IOException {
        stopping = true;
        wake.release();
        if (thread != null) {
            try {
                thread.join(config.timeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (passLock) {
            writer.close();
        }
    }
}
