package io.spillway.engine;

import io.spillway.engine.api.Outcome;

import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads blocks on a pool of reader threads, each with its own aligned bounce buffer.
 *
 * <p>Per block: read the stored bytes into the bounce buffer (O_DIRECT where available), verify
 * the CRC32C, decode, and only then claim the block and copy it into the caller's destination.
 * The caller's memory is written only with verified bytes and never after its task's deadline
 * (design invariants 1 and 5). A checksum failure unindexes the block, if the index still points
 * at the bad copy, and reports it {@link Outcome#CORRUPT}.
 */
final class LoadPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadPath.class);

    private final StoreContext ctx;
    private final ExecutorService pool;
    /** LZ4's decompressor is thread-safe and stateless: one for all reader threads. */
    private final Lz4Codec lz4 = new Lz4Codec();
    /** Serialises unindexing a corrupt block with {@link #close()}: a read that outlives close must not touch the closed index. */
    private final Object indexGuard = new Object();
    private boolean closed; // guarded by indexGuard

    LoadPath(StoreContext ctx, int threads) {
        this.ctx = ctx;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> new ReaderThread(r, "spillway-load-" + n.getAndIncrement(), ctx.alignment(),
                        ctx.config().kvBlockSize().bytes()));
    }

    /** A reader thread and its bounce buffer, grown on demand and freed when the thread ends. */
    private static final class ReaderThread extends Thread {
        private final int alignment;
        private final long initialSize;
        private Arena arena;
        private MemorySegment bounce;

        ReaderThread(Runnable r, String name, int alignment, long initialSize) {
            super(r, name);
            this.alignment = alignment;
            this.initialSize = initialSize;
            setDaemon(true);
        }

        MemorySegment bounce(long size) {
            if (bounce == null || bounce.byteSize() < size) {
                if (arena != null) {
                    arena.close();
                }
                arena = Arena.ofConfined();
                bounce = arena.allocate(SegmentLayout.alignUp(Math.max(size, initialSize), alignment), alignment);
            }
            return bounce;
        }

        @Override
        public void run() {
            try {
                super.run();
            } finally {
                if (arena != null) {
                    arena.close();
                }
            }
        }
    }

    /** Queues the read of block {@code i} of {@code task}. */
    void submit(TaskImpl task, int i, RecordKey key, BlockLocation loc, List<MemorySegment> destination) {
        pool.execute(() -> load(task, i, key, loc, destination));
    }

    private void load(TaskImpl task, int i, RecordKey key, BlockLocation loc, List<MemorySegment> destination) {
        if (!task.isPending(i)) {
            return; // the deadline took it while queued
        }
        MemorySegment stored;
        long ttlMillis = ctx.config().ttl().toMillis();
        if (ttlMillis > 0 && loc.writeTimeMillis() < System.currentTimeMillis() - ttlMillis) {
            finish(task, i, Outcome.MISSING, "expired (older than ttl " + ctx.config().ttl() + ")");
            ctx.metrics().loadMissing.increment();
            return;
        }
        SegmentCatalog.Entry entry = ctx.catalog().get(loc.segmentId());
        if (entry == null || !entry.acquire()) {
            // Evicted by the GC between the index lookup and now: a miss, never an error.
            finish(task, i, Outcome.MISSING, "segment " + loc.segmentId() + " was evicted");
            ctx.metrics().loadMissing.increment();
            return;
        }
        try {
            SegmentReader reader = entry.reader();
            long need = SegmentLayout.alignUp(loc.storedLength(), ctx.alignment());
            MemorySegment bounce = ((ReaderThread) Thread.currentThread()).bounce(need);
            reader.readVerified(loc, bounce.asSlice(0, need));
            stored = bounce.asSlice(0, loc.storedLength());
            if (loc.codec() == Codec.LZ4) {
                stored = MemorySegment.ofArray(lz4.decompress(stored, loc.rawLength()));
            }
            ctx.catalog().recordHit(entry, loc.payloadOffset());
        } catch (CorruptRecordException e) {
            corrupt(task, i, key, loc, e);
            return;
        } catch (IOException | RuntimeException e) {
            finish(task, i, Outcome.IO_ERROR, "read of segment " + loc.segmentId() + " failed: " + e.getMessage());
            ctx.metrics().ioErrors.increment();
            return;
        } finally {
            entry.release();
        }
        if (!task.claim(i, TaskImpl.PENDING)) {
            return;
        }
        try {
            long off = 0;
            for (MemorySegment piece : destination) {
                MemorySegment.copy(stored, off, piece, 0, piece.byteSize());
                off += piece.byteSize();
            }
        } catch (RuntimeException e) {
            // The caller freed its destination meanwhile: the block must still finish, or its task never would.
            task.finishClaimed(i, Outcome.IO_ERROR, "copy into the destination failed: " + e.getMessage(), 0);
            return;
        }
        ctx.metrics().loadBlocks.increment();
        ctx.metrics().loadBytes.increment(loc.rawLength());
        task.finishClaimed(i, Outcome.OK, null, loc.rawLength());
    }

    private void corrupt(TaskImpl task, int i, RecordKey key, BlockLocation loc, CorruptRecordException e) {
        ctx.metrics().corruptBlocks.increment();
        LOG.warn("block {} in segment {} at offset {} is corrupt ({}); removing it from the index", key.shortHex(),
                loc.segmentId(), loc.payloadOffset(), e.getMessage());
        try {
            synchronized (indexGuard) {
                if (!closed) {
                    ctx.publisher().removeIf(key, loc);
                }
            }
        } catch (IOException ex) {
            LOG.warn("could not unindex corrupt block {}: {}", key.shortHex(), ex.getMessage());
        }
        finish(task, i, Outcome.CORRUPT, e.getMessage());
    }

    private static void finish(TaskImpl task, int i, Outcome outcome, String detail) {
        task.tryFinish(i, outcome, detail);
    }

    /**
     * Stops the reader threads, waiting five seconds at most, and then, in every case (an
     * interrupted wait included), keeps any read still running from touching the index, which
     * the close sequence closes next.
     */
    @Override
    public void close() throws InterruptedException {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("load threads still busy at close (a hung read?); abandoning them");
                pool.shutdownNow();
            }
        } finally {
            synchronized (indexGuard) {
                closed = true;
            }
        }
    }
}
