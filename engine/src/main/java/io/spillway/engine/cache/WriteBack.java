package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's background writers: DIRTY blocks go from DRAM to the disk tier in the order they
 * were dumped, a batch (one disk task, so one group commit) at a time per writer.
 *
 * <p><b>Backpressure.</b> The queue holds at most {@code cache_writeback_queue} blocks. A dump takes
 * a place with {@link #tryReserve()} <em>before</em> it copies anything into DRAM, and is BUSY at
 * once when there is none: the caller never waits, and the DRAM tier never fills with blocks that
 * the disk cannot absorb. (Blocks found DIRTY by a restarted owner are queued whatever the bound.)
 *
 * <p><b>A write-back</b>, for each block:
 * <ol>
 *   <li>B1. Mark the slot as being written back ({@link SlotTable#startWriteBack}): it can be
 *       neither evicted nor freed (a delete waits), so the disk tier may read it directly: a slot
 *       is page-aligned native memory, an O_DIRECT source.
 *   <li>B1a. Check the slot's bytes against the CRC32C they were stored with: the disk tier takes
 *       a new CRC of whatever it is given, so a block scribbled in DRAM (a foreign writer, a bad
 *       bit) would otherwise become a durable wrong block. A mismatch drops the block (CORRUPT to
 *       the waiting dumps).
 *   <li>B2. Dump it to the disk tier and wait for the task (which ends by the disk's deadline).
 *   <li>B3. OK: the block becomes CLEAN (header, index), hence evictable, and the dumps waiting on
 *       it learn it is durable (as durable as the disk tier's {@code durability} makes it). BUSY or
 *       TIMEOUT: retried up to {@value #ATTEMPTS} times. Anything else: given up, reported to the
 *       waiting dumps; the block stays cached and may be evicted, and is then lost. A block deleted
 *       meanwhile is deleted from the disk tier too, after it landed there.
 * </ol>
 */
final class WriteBack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WriteBack.class);
    static final int ATTEMPTS = 3;

    /** A dump block waiting to learn its write-back's end. */
    record Waiter(DurableResult result, int block) {
    }

    /** What {@link #tryReserve} found. */
    enum Reserve {
        /** A place is taken for the key: store it, then {@link #enqueue} or {@link #unreserve}. */
        RESERVED,
        /** The key is being stored or written back already: wait on that one ({@link #await}). */
        PENDING,
        /** The queue is full: the dump is BUSY. */
        FULL,
        /**
         * The key was deleted while an earlier dump of it was being stored or written back: the
         * dump is BUSY until that settles, since the earlier write-back deletes the key from the
         * disk tier once it lands, and would take a newer copy with it.
         */
        DELETING
    }

    private static final class Item {
        final BlockKey key;
        final List<Waiter> waiters = new ArrayList<>();
        SlotTable.Pinned block; // null while the dump that reserved the place is still copying
        boolean deleted; // the key was deleted after this dump reserved its place
        long queuedNanos;
        int attempts;

        Item(BlockKey key) {
            this.key = key;
        }
    }

    private final CacheTier cache;
    private final BlockStore disk;
    private final int capacity;
    private final int batch;
    private final ArrayDeque<Item> queue = new ArrayDeque<>(); // guarded by this
    private final Map<BlockKey, Item> pending = new HashMap<>(); // queued or in flight; guarded by this
    private final List<Thread> writers = new ArrayList<>();
    private int reserved; // places taken by dumps still copying; guarded by this
    private int inFlight; // guarded by this
    private volatile boolean stopping;

    WriteBack(CacheTier cache, BlockStore disk, CacheConfig config) {
        this.cache = cache;
        this.disk = disk;
        this.capacity = config.writeBackQueueBlocks();
        this.batch = config.writeBackBatchBlocks();
        cache.cacheMetrics().gauge("writeback.queue", "blocks awaiting or in write-back", this::depth);
        cache.cacheMetrics().gauge("writeback.lag.ms", "age of the oldest block awaiting write-back", this::lagMillis);
        for (int i = 0; i < config.writeBackThreads(); i++) {
            writers.add(Thread.ofPlatform().name("spillway-writeback-" + i).daemon(true).start(this::run));
        }
    }

    /**
     * Takes a queue place for {@code key}, about to be copied into DRAM, unless the key is pending
     * already (then {@code ifPending} waits on that one) or the queue is full. The place is the
     * key's from now, so a concurrent dump of the same key waits on this one.
     */
    synchronized Reserve tryReserve(BlockKey key, Waiter ifPending) {
        Item existing = pending.get(key);
        if (existing != null && existing.deleted) {
            return Reserve.DELETING;
        }
        if (existing != null) {
            existing.waiters.add(ifPending);
            return Reserve.PENDING;
        }
        if (stopping || queue.size() + inFlight + reserved >= capacity) {
            return Reserve.FULL;
        }
        reserved++;
        pending.put(key, new Item(key));
        return Reserve.RESERVED;
    }

    /** {@code keys} are being deleted: a dump of one of them is {@link Reserve#DELETING} until its earlier dump settles. */
    synchronized void deleted(List<BlockKey> keys) {
        for (BlockKey k : keys) {
            Item it = pending.get(k);
            if (it != null) {
                it.deleted = true;
            }
        }
    }

    /** Gives back a place whose dump stored nothing; dumps that waited on it get {@code o}, not durable. */
    void unreserve(BlockKey key, Outcome o, String detail) {
        Item it;
        synchronized (this) {
            reserved--;
            it = pending.remove(key);
        }
        if (it != null) {
            for (Waiter w : it.waiters) {
                w.result().settle(w.block(), o, detail, false);
            }
        }
    }

    /** Queues a block just stored DIRTY on the place {@link #tryReserve} took for it. */
    synchronized void enqueue(BlockKey key, SlotTable.Pinned block, Waiter waiter) {
        reserved--;
        Item item = pending.computeIfAbsent(key, Item::new);
        item.block = block;
        item.queuedNanos = System.nanoTime();
        item.waiters.add(waiter);
        queue.addLast(item);
        notifyAll();
    }

    /** Queues a DIRTY block found by a restarted owner, whatever the bound. */
    synchronized void enqueueFound(SlotTable.Pinned block) {
        Item item = new Item(block.slot().key);
        item.block = block;
        item.queuedNanos = System.nanoTime();
        pending.put(item.key, item);
        queue.addLast(item);
        notifyAll();
    }

    synchronized int depth() {
        return queue.size() + inFlight;
    }

    synchronized long lagMillis() {
        Item first = queue.peekFirst();
        return first == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first.queuedNanos);
    }

    private void run() {
        while (true) {
            List<Item> items = new ArrayList<>();
            synchronized (this) {
                while (queue.isEmpty() && !stopping) {
                    try {
                        wait(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                while (!queue.isEmpty() && items.size() < batch) {
                    items.add(queue.pollFirst());
                }
                inFlight += items.size();
            }
            try {
                writeBatch(items);
            } catch (RuntimeException e) {
                LOG.error("write-back of {} blocks failed", items.size(), e);
                for (Item it : items) {
                    settle(it, Outcome.IO_ERROR, "write-back failed: " + e, false);
                }
            } finally {
                synchronized (this) {
                    inFlight -= items.size();
                    notifyAll();
                }
            }
        }
    }

    private void writeBatch(List<Item> items) {
        List<Item> live = new ArrayList<>();
        for (Item it : items) {
            if (cache.table().startWriteBack(it.block.slot(), it.block.generation())) { // B1
                if (intact(it)) { // B1a
                    live.add(it);
                }
            } else {
                settle(it, Outcome.OK, null, false); // deleted before its write-back: nothing to write
            }
        }
        if (live.isEmpty()) {
            return;
        }
        List<BlockKey> keys = new ArrayList<>();
        List<MemorySegment> sources = new ArrayList<>();
        for (Item it : live) {
            keys.add(it.key);
            sources.add(cache.arena().slot(it.block.slot().index).asSlice(0, it.block.length()));
        }
        TaskResult r;
        try {
            r = disk.dump(keys, sources).await(); // B2: the disk task ends by its deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r = null;
        }
        List<Item> retry = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            Item it = live.get(i);
            Outcome o = r == null ? Outcome.ABORTED : r.outcome(i);
            String detail = r == null ? "interrupted" : r.details().get(i);
            if (o == Outcome.OK) {
                cache.cacheMetrics().writeBackBlocks.increment();
                cache.cacheMetrics().writeBackBytes.increment(it.block.length());
                finish(it, true, Outcome.OK, null, r.durable());
            } else if ((o == Outcome.BUSY || o == Outcome.TIMEOUT) && ++it.attempts < ATTEMPTS && !stopping) {
                cache.cacheMetrics().writeBackRetries.increment();
                retry.add(it);
            } else {
                cache.cacheMetrics().writeBackFailures.increment();
                LOG.warn("write-back of {} gave up: {} {}", it.key.shortHex(), o, detail);
                finish(it, false, o, "write-back to the disk tier: " + detail, false);
            }
        }
        if (!retry.isEmpty()) {
            requeue(retry);
        }
    }

    /**
     * B1a: whether the slot (held by B1, so its generation and CRC are stable) still holds the
     * bytes it was stored with; if not, the block is dropped and its dumps learn it.
     */
    private boolean intact(Item it) {
        Slot slot = it.block.slot();
        CRC32C crc = new CRC32C();
        try {
            crc.update(cache.arena().slot(slot.index).asSlice(0, it.block.length()).asByteBuffer());
        } catch (InternalError e) {
            cache.jobFailed(e); // the arena faulted: the tier stops, the block stays DIRTY for no one
            finish(it, false, Outcome.IO_ERROR, "the DRAM tier's arena faulted before the write-back", false);
            return false;
        }
        if ((int) crc.getValue() == slot.crc) {
            return true;
        }
        LOG.error("DRAM block {} in slot {} failed its CRC32C before its write-back; dropped, not written", it.key.shortHex(),
                slot.index);
        finish(it, false, Outcome.CORRUPT, "the DRAM copy failed its CRC32C before the write-back; dropped", false);
        cache.table().delete(it.key);
        // Counted once dropped, as the other CRC checks do: whoever sees the count sees the drop.
        cache.cacheMetrics().corrupt.increment();
        return false;
    }

    /** B3 for one block. */
    private void finish(Item it, boolean written, Outcome o, String detail, boolean durable) {
        boolean deleted = cache.table().finishWriteBack(it.block.slot(), written);
        if (deleted && written) {
            try {
                disk.delete(List.of(it.key));
            } catch (IOException | RuntimeException e) {
                LOG.warn("deleting {} from the disk tier after its write-back failed: {}", it.key.shortHex(), e.toString());
            }
        }
        settle(it, o, detail, durable);
    }

    private void requeue(List<Item> retry) {
        try {
            Thread.sleep(10L * retry.getFirst().attempts);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Item> again = new ArrayList<>();
        for (Item it : retry) {
            if (cache.table().pauseWriteBack(it.block.slot())) {
                settle(it, Outcome.OK, null, false); // deleted while it waited: nothing to write any more
            } else {
                again.add(it); // still DIRTY: written back on the next turn
            }
        }
        synchronized (this) {
            for (int i = again.size() - 1; i >= 0; i--) {
                queue.addFirst(again.get(i)); // in order, ahead of later dumps
            }
            notifyAll();
        }
    }

    private void settle(Item it, Outcome o, String detail, boolean durable) {
        List<Waiter> ws;
        synchronized (this) {
            pending.remove(it.key, it);
            ws = List.copyOf(it.waiters);
        }
        for (Waiter w : ws) {
            w.result().settle(w.block(), o, detail, durable);
        }
    }

    /**
     * Stops the writers after the queue drained, or once {@code drain} passed. Blocks still queued
     * stay DIRTY in DRAM: the next owner writes them back. Their dumps' {@code whenDurable} reports
     * them as not durable.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    void close(Duration drain) {
        long until = System.nanoTime() + drain.toNanos();
        synchronized (this) {
            while ((!queue.isEmpty() || inFlight > 0) && System.nanoTime() < until) {
                try {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopping = true;
            notifyAll();
        }
        for (Thread t : writers) {
            try {
                t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1_000_000_000L, until - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Item> left;
        synchronized (this) {
            left = new ArrayList<>(queue);
            queue.clear();
        }
        for (Item it : left) {
            settle(it, Outcome.ABORTED, "the store closed before this block was written back; it stays cached and the"
                    + " next open writes it back", false);
        }
    }
}
