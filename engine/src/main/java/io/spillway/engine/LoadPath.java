package io.spillway.engine;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.LoadIoEngine;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.NativeIOException;
import io.spillway.segments.io.ReadQueue;
import io.spillway.segments.io.ReadQueues;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads with a deep queue: many chunk reads in flight whatever the core count, each block
 * verified in the store's own memory before a byte of it reaches the caller.
 *
 * <p>Per block:
 * <ol>
 *   <li><b>admit</b>: blocks wait in arrival order until the {@link BouncePool} has all the
 *       chunks the block needs ({@code load_queue_depth} chunks of at most {@link #MAX_CHUNK}
 *       bytes in all, so that many reads in flight at most); a block whose task's deadline took
 *       it meanwhile is dropped without IO;
 *   <li><b>read</b>: one aligned read per chunk on the {@link ReadQueue} (io_uring, or blocking
 *       reads on {@code load_queue_depth} threads; see {@link ReadQueues}), so a 32 MiB block is
 *       16 reads in flight at once and many small blocks are many reads;
 *   <li><b>check</b>: the CRC32C runs over the chunks in order as they arrive, while the later
 *       ones are still being read ({@link BlockRead});
 *   <li><b>deliver</b>, once every chunk read has reported (a one-chunk block on the thread that
 *       reaped its read, a larger one on one of {@code stream_number} delivery threads, which copy
 *       in parallel): a mismatch unindexes the block (if the index still points at the bad copy)
 *       and reports {@link Outcome#CORRUPT}; a verified block is decoded, claimed (a block its
 *       deadline took is dropped here) and copied into the caller's destination;
 *   <li><b>recycle</b>: the chunks go back to the pool and the next waiting blocks are admitted.
 * </ol>
 *
 * <p><b>Why a bounce copy even into aligned native destinations.</b> Reading straight into the
 * caller's memory would save one memcpy per block (a few percent of a core at disk speed; see
 * the README's Performance notes), but it would break two invariants. A corrupt block would
 * leave unverified bytes in the destination, which the design promises to leave untouched
 * (invariant 1). Worse, a read cannot be recalled once the kernel has it: a load that times out
 * returns the buffer to its owner (invariant 5), and a late DMA would then land in memory the
 * caller has reused, possibly for another block. The bounce chunks are the store's own, so a
 * late read lands where nobody looks; {@link #close()} never frees a chunk a read may still fill.
 */
final class LoadPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadPath.class);
    /** The largest single read: large enough for the device to stream, small enough that a 32 MiB block is 16 reads. */
    static final long MAX_CHUNK = 2L << 20;
    private static final long CLOSE_WAIT_SECONDS = 5;
    /** Linux's errno for a stale NFS/FUSE file handle. */
    private static final int ESTALE = 116;

    private final StoreContext ctx;
    private final ReadQueue reads;
    private final BouncePool pool;
    private final ExecutorService delivery;
    /** LZ4's decompressor is thread-safe and stateless: one for all delivery threads. */
    private final Lz4Codec lz4 = new Lz4Codec();
    /** Blocks admitted and not yet delivered (their memory is taken). */
    private final AtomicInteger admitted = new AtomicInteger();
    /** Serialises unindexing a corrupt block with {@link #close()}: a read that outlives close must not touch the closed index. */
    private final Object indexGuard = new Object();
    private boolean indexClosed; // guarded by indexGuard
    private final Object admission = new Object();
    private final ArrayDeque<BlockRead> waiting = new ArrayDeque<>(); // guarded by admission
    private boolean oversizeStarted; // guarded by admission
    private boolean closing; // guarded by admission

    /** A block given its memory: pool chunks, or (larger than the whole pool) memory of its own, allocated when it starts. */
    private static final class Admitted {
        final BlockRead block;
        final List<MemorySegment> pooled;
        BouncePool.Own own;
        /** Set while this thread starts the reads: a completion reported meanwhile is a refusal on this very stack. */
        volatile boolean starting;

        Admitted(BlockRead block, List<MemorySegment> pooled) {
            this.block = block;
            this.pooled = pooled;
        }

        List<MemorySegment> chunks() {
            return pooled != null ? pooled : own.chunks();
        }
    }

    LoadPath(StoreContext ctx, int deliveryThreads) {
        this.ctx = ctx;
        int depth = ctx.config().loadQueueDepth();
        ReadQueues.Opened opened = ReadQueues.open(ctx.config().loadIoEngine() == LoadIoEngine.AUTO, depth, "spillway-load-io");
        opened.ioUringRefused().ifPresent(why -> LOG.info("io_uring is not available ({}); loads use {} blocking-read threads",
                why, depth));
        this.reads = opened.queue();
        this.pool = new BouncePool(depth, chunkBytes(ctx), ctx.alignment());
        AtomicInteger n = new AtomicInteger();
        this.delivery = new ThreadPoolExecutor(deliveryThreads, deliveryThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name("spillway-load-" + n.getAndIncrement()).daemon(true).unstarted(r));
        LOG.debug("loads: {}, up to {} chunk reads of {} bytes in flight", reads.describe(), depth, pool.chunkBytes());
    }

    /** {@code kv_block_size} rounded up to the alignment, at most {@link #MAX_CHUNK}: a block of the expected size is one chunk up to 2 MiB. */
    static long chunkBytes(StoreContext ctx) {
        long expected = SegmentLayout.alignUp(ctx.config().kvBlockSize().bytes(), ctx.alignment());
        return Math.max(ctx.alignment(), Math.min(SegmentLayout.alignUp(MAX_CHUNK, ctx.alignment()), expected));
    }

    /** What the load path reads with, for logs. */
    String describe() {
        return reads.describe() + ", chunks of " + pool.chunkBytes() + " bytes";
    }

    /** Queues the read of block {@code i} of {@code task}. Never blocks. */
    void submit(TaskImpl task, int i, RecordKey key, BlockLocation loc, List<MemorySegment> destination) {
        BlockRead b = new BlockRead(task, i, key, loc, destination);
        synchronized (admission) {
            if (!closing) {
                waiting.add(b);
                b = null;
            }
        }
        if (b != null) {
            task.tryFinish(i, Outcome.IO_ERROR, "the store is closing");
            return;
        }
        admit();
    }

    /** Step 1: takes memory for the blocks at the head of the line and starts them, until memory runs out. */
    private void admit() {
        boolean again = true;
        while (again) {
            List<Admitted> go = new ArrayList<>();
            synchronized (admission) {
                while (!waiting.isEmpty()) {
                    BlockRead b = waiting.peek();
                    if (!b.task.isPending(b.index)) {
                        waiting.poll(); // its deadline took it while it waited: no IO for it
                        continue;
                    }
                    int n = BlockRead.chunksFor(SegmentLayout.alignUp(b.loc.storedLength(), ctx.alignment()), pool.chunkBytes());
                    if (n <= pool.capacity()) {
                        List<MemorySegment> chunks = pool.tryTake(n);
                        if (chunks == null) {
                            break;
                        }
                        go.add(new Admitted(b, chunks));
                    } else {
                        if (oversizeStarted) {
                            break; // one block larger than the pool at a time bounds the memory
                        }
                        oversizeStarted = true;
                        go.add(new Admitted(b, null));
                    }
                    waiting.poll();
                    admitted.incrementAndGet();
                }
            }
            again = false;
            for (Admitted a : go) {
                again |= !start(a);
            }
        }
    }

    /**
     * Step 2 for one admitted block.
     *
     * @return false if the block ended at once (expired, evicted, unreadable) and gave its memory back
     */
    private boolean start(Admitted a) {
        BlockRead b = a.block;
        long ttlMillis = ctx.config().ttl().toMillis();
        if (ttlMillis > 0 && b.loc.writeTimeMillis() < System.currentTimeMillis() - ttlMillis) {
            missing(b, "expired (older than ttl " + ctx.config().ttl() + ")");
            recycle(a);
            return false;
        }
        SegmentCatalog.Entry entry = ctx.catalog().get(b.loc.segmentId());
        if (entry == null || !entry.acquire()) {
            // Evicted by the GC between the index lookup and now: a miss, never an error.
            missing(b, "segment " + b.loc.segmentId() + " was evicted");
            recycle(a);
            return false;
        }
        SegmentReader reader;
        try {
            reader = entry.reader();
        } catch (IOException | RuntimeException e) {
            entry.release();
            if (e instanceof CorruptRecordException c) {
                // The segment's header failed its CRC: its blocks are corrupt (and unindexed), as
                // a bad record would be, never an IO error a caller would retry for ever.
                corrupt(b, c);
                recycle(a);
                return false;
            }
            if (e instanceof IOException io && vanished(io)) {
                gone(b, io);
                recycle(a);
                return false;
            }
            ioError(b, "opening segment " + b.loc.segmentId() + " failed: " + e.getMessage());
            recycle(a);
            return false;
        }
        if (a.pooled == null) {
            try {
                a.own = pool.own(BlockRead.chunksFor(SegmentLayout.alignUp(b.loc.storedLength(), ctx.alignment()), pool.chunkBytes()));
            } catch (IOException | RuntimeException e) {
                entry.release();
                ioError(b, "no memory for a block of " + b.loc.storedLength() + " bytes: " + e.getMessage());
                recycle(a);
                return false;
            }
        }
        a.starting = true;
        b.start(reads, reader, a.chunks(), pool.chunkBytes(), done -> {
            entry.release(); // no IO on the file any more: the GC may delete it once drained
            if (a.chunks().size() == 1 && !a.starting) {
                // One chunk: cheaper to verify and copy here than to wake a delivery thread.
                deliver(a, entry);
                return;
            }
            try {
                delivery.execute(() -> deliver(a, entry));
            } catch (RejectedExecutionException e) {
                deliver(a, entry); // closing: finish on this thread rather than strand the block
            }
        });
        a.starting = false;
        return true;
    }

    /** Step 4. */
    private void deliver(Admitted a, SegmentCatalog.Entry entry) {
        BlockRead b = a.block;
        try {
            switch (b.result()) {
                case IO_ERROR -> {
                    if (vanished(b.ioError())) {
                        gone(b, b.ioError());
                    } else {
                        ctx.metrics().ioErrors.increment();
                        ioError(b, "read of segment " + b.loc.segmentId() + " failed: " + b.ioError().getMessage());
                    }
                }
                case CORRUPT -> corrupt(b, b.corruption());
                case VERIFIED -> {
                    ctx.catalog().recordHit(entry, b.loc.payloadOffset());
                    copyOut(b);
                }
            }
        } catch (CorruptRecordException e) {
            corrupt(b, e); // an LZ4 payload that does not decode
        } catch (RuntimeException e) {
            LOG.error("delivering block {} failed", b.key.shortHex(), e);
            b.task.finishOwned(b.index, Outcome.IO_ERROR, "load failed: " + e);
        } finally {
            recycle(a);
            admit();
        }
    }

    /** Decodes if needed, claims the block and copies it into the destination. */
    private void copyOut(BlockRead b) throws CorruptRecordException {
        List<MemorySegment> from = b.chunks();
        long unit = b.chunkBytes();
        if (b.loc.codec() == Codec.LZ4) {
            MemorySegment packed = MemorySegment.ofArray(new byte[b.loc.storedLength()]);
            copy(from, unit, List.of(packed));
            from = List.of(MemorySegment.ofArray(lz4.decompress(packed, b.loc.rawLength())));
            unit = b.loc.rawLength();
        }
        if (!b.task.claim(b.index, TaskImpl.PENDING)) {
            return; // its deadline took it: the destination is the caller's again
        }
        try {
            copy(from, unit, b.destination);
        } catch (RuntimeException e) {
            // The caller freed its destination meanwhile: the block must still finish, or its task never would.
            b.task.finishClaimed(b.index, Outcome.IO_ERROR, "copy into the destination failed: " + e.getMessage(), 0);
            return;
        }
        ctx.metrics().loadBlocks.increment();
        ctx.metrics().loadBytes.increment(b.loc.rawLength());
        b.task.finishClaimed(b.index, Outcome.OK, null, b.loc.rawLength());
    }

    /** Copies the concatenation of {@code chunks} (each {@code unit} bytes, the last possibly shorter) into {@code pieces}. */
    static void copy(List<MemorySegment> chunks, long unit, List<MemorySegment> pieces) {
        long at = 0;
        for (MemorySegment piece : pieces) {
            long off = 0;
            while (off < piece.byteSize()) {
                int c = (int) (at / unit);
                long within = at % unit;
                long n = Math.min(unit - within, piece.byteSize() - off);
                MemorySegment.copy(chunks.get(c), within, piece, off, n);
                at += n;
                off += n;
            }
        }
    }

    /** Step 5: the block's memory is free again. */
    private void recycle(Admitted a) {
        if (a.pooled != null) {
            pool.give(a.pooled);
        } else {
            if (a.own != null) {
                a.own.free().run();
            }
            synchronized (admission) {
                oversizeStarted = false;
            }
        }
        admitted.decrementAndGet();
    }

    private void missing(BlockRead b, String why) {
        if (b.task.tryFinish(b.index, Outcome.MISSING, why)) {
            ctx.metrics().loadMissing.increment();
        }
    }

    private void ioError(BlockRead b, String why) {
        b.task.tryFinish(b.index, Outcome.IO_ERROR, why);
    }

    private void corrupt(BlockRead b, CorruptRecordException e) {
        ctx.metrics().corruptBlocks.increment();
        LOG.warn("block {} in segment {} at offset {} is corrupt ({}); removing it from the index", b.key.shortHex(),
                b.loc.segmentId(), b.loc.payloadOffset(), e.getMessage());
        unindex(b);
        b.task.tryFinish(b.index, Outcome.CORRUPT, e.getMessage());
    }

    /** ENOENT or ESTALE: NFS and FUSE file systems report a file another client deleted so. */
    static boolean vanished(IOException e) {
        return e instanceof NoSuchFileException || e instanceof NativeIOException n && n.errno() == ESTALE
                || e.getMessage() != null && e.getMessage().contains("Stale file handle");
    }

    /**
     * The segment file vanished after the index learnt of it (another writer's, or the shared GC
     * owner's, eviction; shared store discovery): a miss that unindexes the block, never an error.
     */
    private void gone(BlockRead b, IOException e) {
        unindex(b);
        missing(b, "segment " + b.loc.segmentId() + " is gone: " + e.getMessage());
    }

    /** Removes the block's entry if it still points at this copy (a concurrent re-dump is kept). */
    private void unindex(BlockRead b) {
        try {
            synchronized (indexGuard) {
                if (!indexClosed) {
                    ctx.publisher().removeIf(b.key, b.loc);
                }
            }
        } catch (IOException ex) {
            LOG.warn("could not unindex block {}: {}", b.key.shortHex(), ex.getMessage());
        }
    }

    /**
     * Fails the blocks still waiting, waits (at most {@value #CLOSE_WAIT_SECONDS} s) for the blocks in
     * flight, stops the read queue and the delivery threads, and then, in every case (an
     * interrupted wait included), keeps any read still running from touching the index, which
     * the close sequence closes next. The bounce memory is freed only if no read can still write
     * into it; after a hung read, or an interrupted close, it is left allocated, on purpose.
     */
    @Override
    public void close() throws InterruptedException {
        List<BlockRead> dropped;
        synchronized (admission) {
            closing = true;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (BlockRead b : dropped) {
            ioError(b, "the store is closing");
        }
        int stillReading;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
            while (admitted.get() > 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            stillReading = reads.shutdown(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            delivery.shutdown();
            if (!delivery.awaitTermination(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                delivery.shutdownNow();
            }
        } finally {
            synchronized (indexGuard) {
                indexClosed = true;
            }
        }
        int blocks = admitted.get();
        if (blocks == 0 && stillReading == 0) {
            pool.close();
        } else {
            LOG.warn("{} block loads still in flight at close (a hung read?); their bounce memory is left allocated", blocks);
        }
    }
}
