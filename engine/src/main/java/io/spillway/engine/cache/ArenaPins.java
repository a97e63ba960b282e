package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.SharedArena;
import io.spillway.engine.config.CacheVerify;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of {@link SharedArena}: pins blocks of its {@link CacheTier} for clients that
 * copy them out of the arena themselves.
 *
 * <p>A pin, in the order it is taken:
 * <ol>
 *   <li>Each key is pinned in the slot table (R3: a pinned slot is neither evicted nor
 *       rewritten; a delete waits for the last unpin). A key not cached is MISSING; one beyond the
 *       cap on held slots (a quarter of the arena, so pins can never starve the writers of room) is
 *       BUSY.
 *   <li>Each pinned block's sequence number is checked against its entry's generation (R4) and its
 *       bytes against its CRC32C (R5, unless {@code cache_verify} is off), spread over threads of
 *       its own with the calling thread taking part, since a large prefix is gigabytes: a
 *       client's GPU copy of one chunk overlaps the check of the next, so the check must run at
 *       PCIe speed (55 GB/s on an H200 host) or it is what the client waits for. The copy
 *       threads are not used: they are as many as {@code stream_number} (4 by default), and one
 *       thread checks CRC32C at about 10 GB/s.
 *   <li>A block that fails is unpinned, dropped from the tier (like a failed DRAM load) and
 *       CORRUPT. The rest stay held until {@link SharedArena.Pin#close}.
 * </ol>
 * Because the slots stay pinned from step 1 to the close, the bytes a client copies after step 2
 * are the checked ones: nothing in this process writes a pinned slot, and no reader in another
 * process writes the arena at all.
 */
final class ArenaPins implements SharedArena {

    private static final Logger LOG = LoggerFactory.getLogger(ArenaPins.class);

    private final CacheTier tier;
    private final int maxHeld;
    private final AtomicInteger held = new AtomicInteger();
    /** Checkers besides the calling thread: one per core, less one, at most 15 (idle ones exit). */
    private final ThreadPoolExecutor checkers;

    ArenaPins(CacheTier tier) {
        this.tier = tier;
        this.maxHeld = Math.max(1, tier.arena().layout().slotCount() / 4);
        int n = Math.clamp(Runtime.getRuntime().availableProcessors() - 1, 1, 15);
        AtomicInteger id = new AtomicInteger();
        this.checkers = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name("spillway-cache-check-" + id.incrementAndGet()).daemon(true).unstarted(r));
        checkers.allowCoreThreadTimeOut(true);
    }

    /** Stops the checker threads (the tier is closing). */
    void close() {
        checkers.shutdownNow();
    }

    @Override
    public Path path() {
        return tier.arena().file();
    }

    @Override
    public long size() {
        return tier.arena().layout().fileSize();
    }

    @Override
    public long id() {
        return tier.arena().superblock().arenaId();
    }

    @Override
    public int pageSize() {
        return tier.arena().layout().pageSize();
    }

    /** Slots held by clients now (all pins together). */
    int held() {
        return held.get();
    }

    @Override
    public Pin pin(List<BlockKey> keys) throws IOException {
        if (!tier.available()) {
            throw new IOException("the DRAM tier is not serving: " + (tier.failure() == null ? "it is closed" : tier.failure()));
        }
        int n = keys.size();
        Held pin = new Held(n);
        for (int i = 0; i < n; i++) { // step 1
            if (held.incrementAndGet() > maxHeld) {
                held.decrementAndGet();
                pin.outcomes[i] = Outcome.BUSY;
                continue;
            }
            SlotTable.Pinned p = tier.table().pin(keys.get(i));
            if (p == null) {
                held.decrementAndGet();
                pin.outcomes[i] = Outcome.MISSING;
            } else {
                pin.slots[i] = p;
            }
        }
        try {
            verifyAll(pin); // step 2
        } catch (IOException | RuntimeException e) {
            pin.close();
            throw e;
        }
        for (int i = 0; i < n; i++) { // step 3
            if (pin.outcomes[i] == Outcome.CORRUPT) {
                LOG.error("DRAM block {} in slot {} failed its CRC32C before a copy out; dropped", keys.get(i).shortHex(),
                        pin.slots[i].slot().index);
                pin.release(i);
                tier.table().delete(keys.get(i));
                tier.cacheMetrics().corrupt.increment();
            } else if (pin.outcomes[i] == Outcome.MISSING && pin.slots[i] != null) {
                pin.release(i); // raced: rewritten between the index entry and the pin
            }
        }
        return pin;
    }

    /** Step 2 for every pinned slot, on the copy threads and this one; throws if the arena faulted. */
    private void verifyAll(Held pin) throws IOException {
        int[] todo = IntStream.range(0, pin.slots.length).filter(i -> pin.slots[i] != null).toArray();
        if (todo.length == 0) {
            return;
        }
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(todo.length);
        AtomicBoolean faulted = new AtomicBoolean();
        Runnable worker = () -> {
            for (int j = next.getAndIncrement(); j < todo.length; j = next.getAndIncrement()) {
                try {
                    verify(pin, todo[j]);
                } catch (InternalError | RuntimeException e) { // InternalError: the arena's pages vanished (a truncation)
                    faulted.set(true);
                    pin.outcomes[todo[j]] = Outcome.IO_ERROR;
                } finally {
                    done.countDown();
                }
            }
        };
        int helpers = Math.min(checkers.getMaximumPoolSize(), todo.length - 1);
        try {
            for (int h = 0; h < helpers; h++) {
                checkers.execute(worker);
            }
        } catch (RejectedExecutionException e) {
            // closing: this thread checks the rest alone
        }
        worker.run();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while checking pinned blocks");
        }
        if (faulted.get()) {
            tier.fail("the arena faulted while pinned blocks were checked (was its file truncated?)");
            throw new IOException("the DRAM tier's arena faulted; the tier stopped");
        }
    }

    private void verify(Held pin, int i) {
        SlotTable.Pinned p = pin.slots[i];
        int slot = p.slot().index;
        SlotArena arena = tier.arena();
        if (arena.seq(slot) != p.generation()) {
            pin.outcomes[i] = Outcome.MISSING;
            return;
        }
        boolean check = tier.cacheConfig().verify() != CacheVerify.OFF;
        pin.outcomes[i] = !check || SlotCopier.crc(arena.slot(slot), p.length()) == p.crc() ? Outcome.OK : Outcome.CORRUPT;
        pin.offsets[i] = arena.layout().slotOffset(slot);
        pin.lengths[i] = p.length();
    }

    /** One pin's slots; {@link #close} unpins what it still holds, once. */
    private final class Held implements Pin {
        final SlotTable.Pinned[] slots;
        final Outcome[] outcomes;
        final long[] offsets;
        final int[] lengths;
        private final AtomicBoolean closed = new AtomicBoolean();

        Held(int n) {
            slots = new SlotTable.Pinned[n];
            outcomes = new Outcome[n];
            offsets = new long[n];
            lengths = new int[n];
        }

        void release(int i) {
            tier.table().unpin(slots[i]);
            slots[i] = null;
            held.decrementAndGet();
        }

        @Override
        public int size() {
            return slots.length;
        }

        @Override
        public Outcome outcome(int i) {
            return outcomes[i];
        }

        @Override
        public long offset(int i) {
            return offsets[i];
        }

        @Override
        public int length(int i) {
            return lengths[i];
        }

        @Override
        public int held() {
            int n = 0;
            for (SlotTable.Pinned p : slots) {
                n += p == null ? 0 : 1;
            }
            return n;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                for (int i = 0; i < slots.length; i++) {
                    if (slots[i] != null) {
                        release(i);
                    }
                }
            }
        }
    }
}
