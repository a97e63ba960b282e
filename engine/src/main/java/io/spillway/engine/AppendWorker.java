package io.spillway.engine;

import io.spillway.engine.api.Outcome;

import io.spillway.engine.config.Compression;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.NativeIOException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer with its own active segment: writers append without any shared lock. A writer is
 * three threads, an appender (this class's loop), a {@link GroupSyncer} and a
 * {@link GroupPublisher}, forming a pipelined group commit, with up to {@code write_queue_depth}
 * group writes in flight in its {@link WriteWindow}:
 * <ol>
 *   <li>the appender takes the queued blocks, up to {@link GroupHeader#MAX_RECORDS} and the
 *       staging buffer's size (one block under durability {@code always}), and claims each (a
 *       block whose task timed out is skipped);
 *   <li>compresses where configured and worth it;
 *   <li>appends them as one group: checksum (or copy into staging), release the callers'
 *       buffers, start one write;
 *   <li>goes on with the next group while the write runs; the window hands each written group
 *       to the syncer once its write, and those of the groups before it, have ended;
 *   <li>the syncer fdatasyncs and hands the synced groups on (see {@link GroupSyncer});
 *   <li>the publisher writes their index entries in one synced batch and completes the blocks,
 *       while the syncer syncs the next groups (see {@link GroupPublisher}).
 * </ol>
 * Data is durable before the index entry that points at it (design invariant 2), and a block is
 * acknowledged only once its index entry is durable, so the index alone says what is visible:
 * recovery never has to guess from segment contents (see {@code OpenSegmentRecovery}).
 */
final class AppendWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(AppendWorker.class);
    /** Tries at creating a segment on a full file system, each after an emergency eviction. */
    private static final int NO_SPACE_TRIES = 3;

    private final int ordinal;
    private final Backend backend;
    private final StoreContext ctx;
    private final LinkedBlockingQueue<BlockWrite> queue = new LinkedBlockingQueue<>();
    private final ArrayDeque<BlockWrite> carry = new ArrayDeque<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging;
    private final Lz4Codec lz4;
    private final int maxGroupRecords;
    private final GroupSyncer syncer;
    private final WriteWindow window;
    private final GarbageCollector gc;
    private SegmentWriter segment;
    private volatile boolean stopping;
    /** Serialises the threads' index calls with {@link #abandon()}; see there. */
    private final Object indexGuard = new Object();
    private boolean abandoned; // guarded by indexGuard
    private Thread appenderThread;
    private Thread syncerThread;
    private Thread publisherThread;

    AppendWorker(int ordinal, Backend backend, StoreContext ctx, GarbageCollector gc) {
        this.gc = gc;
        this.ordinal = ordinal;
        this.backend = backend;
        this.ctx = ctx;
        this.staging = arena.allocate(ctx.writeGroupSize(), ctx.alignment());
        this.lz4 = ctx.config().compression() == Compression.LZ4 ? new Lz4Codec() : null;
        this.maxGroupRecords = ctx.durability().syncsEachBlock() ? 1 : GroupHeader.MAX_RECORDS;
        this.syncer = new GroupSyncer(this, ctx);
        this.window = new WriteWindow(this, syncer, ctx, "spillway-write-io-" + ordinal, arena);
    }

    int ordinal() {
        return ordinal;
    }

    void submit(BlockWrite w) {
        queue.add(w);
    }

    int queued() {
        return queue.size() + carry.size();
    }

    /** Starts the appender, syncer and publisher threads. */
    List<Thread> start() {
        publisherThread = Thread.ofPlatform().name("spillway-publish-" + ordinal).daemon(true).start(syncer.publisher());
        syncerThread = Thread.ofPlatform().name("spillway-sync-" + ordinal).daemon(true).start(syncer);
        appenderThread = Thread.ofPlatform().name("spillway-append-" + ordinal).daemon(true).start(this);
        return List.of(appenderThread, syncerThread, publisherThread);
    }

    /** Asks the worker to finish what is queued, seal its segment and exit (all three threads). */
    void stop() {
        stopping = true;
    }

    /**
     * Called by {@code close()} for a writer still stuck in IO after its join timed out, before
     * the index is closed. If the IO ever returns, the writer touches the index no more (a call
     * into a closed RocksDB crashes the JVM), publishes nothing and leaves its segment
     * {@code .open} for the next open's recovery. Waits for an index call in progress to end.
     */
    void abandon() {
        synchronized (indexGuard) {
            abandoned = true;
        }
    }

    private boolean abandoned() {
        synchronized (indexGuard) {
            return abandoned;
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                List<BlockWrite> group = nextGroup();
                if (group == null) {
                    break;
                }
                if (!group.isEmpty()) {
                    try {
                        writeGroup(group);
                    } catch (Error e) {
                        // Its blocks are CLAIMED, which a deadline never takes: finish them here,
                        // or their tasks would never complete.
                        failBlocks(group, new IOException("append worker failed: " + e, e));
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("append worker {} died; its queued blocks fail", ordinal, e);
            failQueued("append worker died: " + e);
        } finally {
            if (segment != null) {
                handOver(segment);
                segment = null;
            }
            window.pass(new WrittenGroup.Stop());
        }
    }

    /** The next group's blocks (possibly empty), or null when stopped and drained. */
    private List<BlockWrite> nextGroup() throws InterruptedException {
        if (carry.isEmpty()) {
            BlockWrite first = queue.poll(50, TimeUnit.MILLISECONDS);
            if (first == null) {
                return stopping ? null : List.of();
            }
            carry.add(first);
            queue.drainTo(carry, GroupHeader.MAX_RECORDS);
        }
        List<BlockWrite> group = new ArrayList<>();
        long payloads = 0; // padded payload bytes; with the header block, the group must fit staging
        while (!carry.isEmpty() && group.size() < maxGroupRecords) {
            BlockWrite w = carry.peek();
            long padded = SegmentLayout.alignUp(w.rawLength(), ctx.alignment());
            if (!group.isEmpty()
                    && GroupHeader.headerBlockLength(group.size() + 1, ctx.alignment()) + payloads + padded > staging.byteSize()) {
                break;
            }
            carry.poll();
            if (!w.task().claim(w.block(), TaskImpl.PENDING)) {
                ctx.publisher().unclaim(w.token());
                continue;
            }
            group.add(w);
            payloads += padded;
        }
        return group;
    }

    /** Steps 2 to 4 for one group of claimed blocks. */
    private void writeGroup(List<BlockWrite> group) {
        List<RecordSource> records = new ArrayList<>(group.size());
        long now = System.currentTimeMillis();
        int flags = ctx.config().autoCommit() ? RecordFlags.AUTO_COMMIT : 0;
        for (BlockWrite w : group) {
            byte[] packed = lz4 == null ? null : lz4.compressIfWorthIt(w.pieces(), w.rawLength());
            records.add(packed == null
                    ? new RecordSource(w.token().key, w.pieces(), Codec.NONE, w.rawLength(), flags, now)
                    : new RecordSource(w.token().key, List.of(MemorySegment.ofArray(packed)), Codec.LZ4, w.rawLength(), flags, now));
        }
        int done = 0;
        while (done < group.size()) {
            int n;
            try {
                ensureSegment(records.subList(done, done + 1));
                n = fitting(records.subList(done, records.size()));
                List<BlockWrite> part = group.subList(done, done + n);
                window.write(segment, records.subList(done, done + n), part, () -> {
                    for (BlockWrite w : part) {
                        w.task().release(w.block());
                    }
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the next poll ends the loop
                failBlocks(group.subList(done, group.size()), new IOException("the append worker was interrupted", e));
                return;
            } catch (IOException | RuntimeException e) {
                if (segment != null && segment.failed()) {
                    // Part of the group may be on disk and valid: fence the segment before the
                    // callers hear of the failure, so recovery never re-indexes it.
                    fence(segment.segmentId());
                }
                failBlocks(group.subList(done, group.size()), e);
                if (segment != null && segment.failed()) {
                    LOG.error("segment {} failed ({}); leaving it to recovery and starting a new one", segment.segmentId(),
                            e.getMessage());
                    handOver(segment);
                    segment = null;
                }
                return;
            }
            ctx.catalog().written(segment.segmentId(), segment.position());
            done += n;
            if (segment.failed()) {
                // A write that reported at once (inline) failed it: retire it now, not at the next group.
                handOver(segment);
                segment = null;
            }
        }
    }

    /** How many leading records fit the current segment (at least one: ensureSegment made room). */
    private int fitting(List<RecordSource> records) {
        int lo = 1;
        int hi = records.size();
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segment.fits(lengths(records.subList(0, mid)))) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static int[] lengths(List<RecordSource> records) {
        int[] l = new int[records.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = records.get(i).storedLength();
        }
        return l;
    }

    /**
     * Makes sure the active segment can take {@code first}: hands a full or failed one to the
     * syncer to retire, creates the next.
     */
    private void ensureSegment(List<RecordSource> first) throws IOException {
        if (segment != null && !segment.failed() && segment.fits(lengths(first))) {
            return;
        }
        if (segment != null) {
            handOver(segment);
            segment = null;
        }
        long capacity = ctx.capacityBytes();
        if (capacity != Long.MAX_VALUE && ctx.space().usedBytes() + ctx.segmentSize() > capacity && !makeRoom(false)) {
            throw new StoreFullException("a new segment of " + ctx.segmentSize() + " bytes would exceed capacity "
                    + capacity + " (" + ctx.space().usedBytes() + " bytes used, " + ctx.space().metadataBytes()
                    + " of them by the index and commit log) and nothing more can be evicted");
        }
        segment = createSegmentMakingSpace();
        if (capacity != Long.MAX_VALUE && ctx.space().usedBytes() + ctx.segmentSize() > capacity * ctx.config().gcHighWatermark()) {
            // Keep room ahead of the writers: the next segment would pass the high watermark, so
            // the GC evicts now, while this one fills, rather than at its next tick or on the
            // next writer's emergency.
            gc.wakeUp();
        }
        if (!segment.fits(lengths(first))) {
            throw new IllegalArgumentException("a block of " + first.get(0).storedLength() + " bytes does not fit in a segment of "
                    + ctx.segmentSize() + " bytes");
        }
    }

    /**
     * {@link #createSegment}, and on ENOSPC an emergency eviction and another try, up to {@value
     * #NO_SPACE_TRIES} tries while evictions make room: another writer, or the index, may take
     * what one eviction freed before this writer's next try. The dump fails (STORE_FULL) when
     * nothing more can be evicted.
     */
    private SegmentWriter createSegmentMakingSpace() throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return createSegment();
            } catch (NativeIOException e) {
                if (!e.isNoSpace() || attempt == NO_SPACE_TRIES || !makeRoom(true)) {
                    throw e;
                }
            }
        }
    }

    /** A new active segment; on failure its half-created file is removed again. */
    private SegmentWriter createSegment() throws IOException {
        long id;
        synchronized (indexGuard) { // the id is persisted in the index
            if (abandoned) {
                throw new IOException("the store was closed while this writer was stuck in IO");
            }
            id = ctx.segmentIds().next();
        }
        SegmentWriter created = ctx.catalog().admission().create(id, "no room for a new segment in the shared store: its "
                + ctx.capacityBytes() + "-byte capacity is taken by the writers' segments (the GC owner frees room as it evicts)",
                () -> {
                    try {
                        return SegmentWriter.create(backend.io(), backend.dir(), id, ctx.segmentSize(), ctx.alignment(), staging);
                    } catch (IOException | RuntimeException e) {
                        backend.io().delete(new SegmentPath(id, SegmentPath.State.OPEN).in(backend.dir()));
                        throw e;
                    }
                });
        ctx.catalog().add(id, backend, SegmentPath.State.OPEN);
        return created;
    }

    /** Hands {@code s} to the syncer to retire (seal, discard or leave to recovery). */
    private void handOver(SegmentWriter s) {
        ctx.catalog().retiring(s.segmentId());
        window.pass(new WrittenGroup.Retire(s));
    }

    /** Emergency eviction (capacity reached, or ENOSPC) on this writer thread; true if a segment now fits. */
    private boolean makeRoom(boolean noSpace) throws IOException {
        try {
            return gc.makeRoom(ctx.segmentSize(), noSpace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Publisher thread: the appender is done with {@code s}. Seals it (its footer marks records the
     * index does not point at), deletes it if it holds nothing, or leaves a failed one, or any
     * one after {@link #abandon()}, {@code .open} for recovery.
     */
    void retire(SegmentWriter s) {
        long id = s.segmentId();
        try {
            if (s.failed() || abandoned()) {
                if (!abandoned()) {
                    fence(id); // the syncer reported every group of it; none may come back
                }
                Retirement.leaveToRecovery(ctx, s, s.failed() ? "it failed" : "the store closed while its writer was stuck");
                return;
            }
            if (s.recordCount() == 0) {
                Retirement.discardEmpty(ctx, backend, s);
                return;
            }
            boolean[] live;
            synchronized (indexGuard) {
                if (abandoned) {
                    throw new IOException("the store was closed while this writer was stuck in IO");
                }
                // Marked before the liveness is read: a delete after this point is not undone by
                // a recovery that would otherwise re-add the footer's live entries.
                ctx.index().markSealed(s.segmentId());
                live = ctx.index().pointsAt(s.entries());
            }
            Retirement.seal(ctx, s, live);
        } catch (IOException | RuntimeException e) {
            Retirement.leaveToRecovery(ctx, s, "sealing failed: " + e.getMessage());
        }
    }

    /**
     * Fences segment {@code id} in the index (see {@code BlockIndex.Batch#fence}). A failure is
     * logged: the segment is then decided by its watermark alone.
     */
    void fence(long id) {
        synchronized (indexGuard) {
            if (abandoned) {
                return;
            }
            try (var b = ctx.index().batch()) {
                b.fence(id);
                ctx.index().write(b, true);
            } catch (IOException | RuntimeException e) {
                LOG.error("fencing failed segment {} in the index failed: {}", id, e.getMessage());
            }
        }
    }

    /**
     * Publisher thread: publishes synced blocks (all CLAIMED) with the segments' new watermarks in
     * one index batch, and completes the blocks. Writes the watermarks even with no block to
     * publish (every block of the groups timed out, or their sync failed).
     */
    void publish(List<BlockWrite> blocks, List<BlockLocation> locations, Map<Long, Long> watermarks) {
        if (blocks.isEmpty() && watermarks.isEmpty()) {
            return;
        }
        List<InFlight> tokens = new ArrayList<>(blocks.size());
        for (BlockWrite w : blocks) {
            tokens.add(w.token());
        }
        List<Publisher.Fate> fates;
        try {
            synchronized (indexGuard) {
                if (abandoned) {
                    throw new IOException("the store was closed while this writer was stuck in IO");
                }
                fates = ctx.publisher().publish(tokens, locations, watermarks);
            }
        } catch (IOException | RuntimeException e) {
            ctx.metrics().ioErrors.increment(blocks.size());
            for (BlockWrite w : blocks) {
                ctx.publisher().unclaim(w.token());
                w.task().finishClaimed(w.block(), Outcome.IO_ERROR, "index write failed: " + e.getMessage(), 0);
            }
            return;
        }
        for (int i = 0; i < blocks.size(); i++) {
            BlockWrite w = blocks.get(i);
            if (fates.get(i) == Publisher.Fate.ABORTED) {
                w.task().finishClaimed(w.block(), Outcome.ABORTED, "rolled back by commit(keys, false)", 0);
                continue;
            }
            if (!ctx.durability().acknowledgesDurable()) {
                w.task().markNotDurable();
            }
            ctx.metrics().dumpBlocks.increment();
            ctx.metrics().dumpBytes.increment(w.rawLength());
            w.task().finishClaimed(w.block(), Outcome.OK, null, w.rawLength());
        }
    }

    /** Fails blocks whose append or sync failed (either thread). */
    void failBlocks(List<BlockWrite> blocks, Exception e) {
        boolean full = NoSpace.is(e);
        Outcome outcome = full ? Outcome.STORE_FULL : Outcome.IO_ERROR;
        String detail = (full ? "store full: " : "write failed: ") + e.getMessage();
        // Count and release the keys first: a caller woken by the task sees both.
        (full ? ctx.metrics().storeFull : ctx.metrics().ioErrors).increment(blocks.size());
        for (BlockWrite w : blocks) {
            ctx.publisher().unclaim(w.token());
            w.task().finishOwned(w.block(), outcome, detail);
        }
    }

    private void failQueued(String detail) {
        List<BlockWrite> rest = new ArrayList<>(carry);
        carry.clear();
        queue.drainTo(rest);
        for (BlockWrite w : rest) {
            ctx.publisher().unclaim(w.token());
            w.task().tryFinish(w.block(), Outcome.IO_ERROR, detail);
        }
    }

    /**
     * Frees the staging and scratch buffers once all three threads have ended (close), and with
     * them every write: the stop reaches the syncer only after the last write reported.
     */
    void releaseMemory() {
        if (!appenderThread.isAlive() && !syncerThread.isAlive() && !publisherThread.isAlive() && window.close()) {
            arena.close();
        }
    }
}
