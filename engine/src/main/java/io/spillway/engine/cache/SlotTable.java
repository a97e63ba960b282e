package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.policy.EvictionPolicy;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's slot state machine ({@link SlotState}): allocation, publication, pins, write-back
 * marks, eviction and deletion, kept in memory and mirrored to the slot headers and the index in
 * the order the cross-process protocol needs ({@link CacheTier} lists the steps). The only
 * process that changes slots is the owner, and in it only this class, under its lock; copies of
 * block bytes happen outside the lock, on a slot that is WRITING (in) or pinned (out).
 *
 * <p>Capacity is the slot count: a block is stored only in a free slot or in one whose block was
 * just evicted, so the tier can never hold more than {@code buffer_size}. A DIRTY block (not yet
 * written back), a pinned one or one being written back is never a victim.
 */
final class SlotTable {

    private static final Logger LOG = LoggerFactory.getLogger(SlotTable.class);

    /** What {@link #reserve} found. */
    sealed interface Reservation permits Reserved, Present, Full {
    }

    /** A slot now WRITING for the key; {@code seq} is its odd sequence number. */
    record Reserved(Slot slot, long seq) implements Reservation {
    }

    /** The key is cached or being stored already: nothing to write. */
    record Present(boolean durable) implements Reservation {
    }

    /** No free slot and nothing evictable. */
    record Full() implements Reservation {
    }

    /** A pinned block for one copy out. */
    record Pinned(Slot slot, long generation, int length, int crc) {
    }

    private final SlotArena arena;
    private final MemorySegment mapping;
    private final Slot[] slots;
    private final Map<BlockKey, Slot> byKey = new HashMap<>();
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final EvictionPolicy<BlockKey> policy;
    private final CacheMetrics metrics;
    private final Runnable indexTrouble;
    private CacheIndex index;
    private long writeClock;
    private long accessClock;

    /**
     * @param indexTrouble called (under the lock) when an index operation failed: the owner
     *     schedules a rebuild of the index
     */
    SlotTable(SlotArena arena, CacheIndex index, EvictionPolicy<BlockKey> policy, CacheMetrics metrics, Runnable indexTrouble) {
        this.arena = arena;
        this.mapping = arena.mapping();
        this.index = index;
        this.policy = policy;
        this.metrics = metrics;
        this.indexTrouble = indexTrouble;
        this.slots = new Slot[arena.layout().slotCount()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i);
        }
    }

    // ---------------------------------------------------------------- open

    /**
     * Fills the table from verified headers at open: {@code cached} slots hold blocks (DIRTY or
     * CLEAN, with their generation and last access), every other slot is free. Blocks enter the
     * eviction policy oldest access first.
     */
    synchronized void load(List<Slot> cached) {
        List<Slot> order = new ArrayList<>(cached);
        order.sort(Comparator.comparingLong(s -> s.lastAccess));
        for (Slot found : order) {
            Slot s = slots[found.index];
            s.state = found.state;
            s.key = found.key;
            s.length = found.length;
            s.crc = found.crc;
            s.generation = found.generation;
            s.writtenAt = found.writtenAt;
            s.lastAccess = found.lastAccess;
            s.lastAccessIndexed = found.lastAccess;
            byKey.put(s.key, s);
            policy.admit(s.key);
            writeClock = Math.max(writeClock, s.writtenAt);
            accessClock = Math.max(accessClock, s.lastAccess);
        }
        for (Slot s : slots) {
            if (s.state == SlotState.FREE) {
                free.add(s);
            }
        }
    }

    // ---------------------------------------------------------------- store

    /**
     * Takes a slot for {@code key}: a free one, or the policy's victim, evicted now (steps E1-E3).
     * The slot leaves here WRITING, its sequence number odd (step W2), and the key counts as in
     * flight, so a concurrent dump of it is deduplicated.
     */
    synchronized Reservation reserve(BlockKey key) {
        Slot existing = byKey.get(key);
        if (existing != null) {
            return new Present(existing.state == SlotState.CLEAN);
        }
        Slot s = free.poll();
        if (s == null) {
            s = evictOne();
            if (s == null) {
                return new Full();
            }
        }
        long at = arena.headerAt(s.index);
        long seq = SlotHeader.seqAcquire(mapping, at) + 1;
        SlotHeader.seqVolatile(mapping, at, seq); // odd: no reader accepts any old entry of this slot now
        SlotHeader.writeState(mapping, at, SlotState.WRITING);
        s.state = SlotState.WRITING;
        s.key = key;
        byKey.put(key, s);
        return new Reserved(s, seq);
    }

    /**
     * Publishes a block copied into a reserved slot (steps W4-W5): header fields, then the even
     * sequence number, then the index entry.
     *
     * @return false if the key was deleted meanwhile (the slot is freed instead)
     */
    synchronized boolean publish(Reserved r, int length, int crc, SlotState state) {
        Slot s = r.slot();
        if (s.deleteRequested) {
            release(s, r.seq() + 1);
            return false;
        }
        long at = arena.headerAt(s.index);
        s.writtenAt = ++writeClock;
        SlotHeader.write(mapping, at, state, length, crc, s.key.toBytes(), s.writtenAt);
        VarHandle.releaseFence();
        SlotHeader.seqRelease(mapping, at, r.seq() + 1);
        s.state = state;
        s.length = length;
        s.crc = crc;
        s.generation = r.seq() + 1;
        s.lastAccess = ++accessClock;
        s.lastAccessIndexed = s.lastAccess;
        putIndex(s);
        policy.admit(s.key);
        return true;
    }

    /** Gives a reserved slot back (the copy failed, or the task's deadline took the block). */
    synchronized void abort(Reserved r) {
        release(r.slot(), r.seq() + 1);
    }

    // ---------------------------------------------------------------- load

    /** The key's slot pinned for a copy out, or null if not cached (counts a touch for the policy). */
    synchronized Pinned pin(BlockKey key) {
        Slot s = byKey.get(key);
        if (s == null || !s.state.servable()) {
            return null;
        }
        s.pins++;
        s.lastAccess = ++accessClock;
        policy.touch(key);
        return new Pinned(s, s.generation, s.length, s.crc);
    }

    synchronized void unpin(Pinned p) {
        Slot s = p.slot();
        s.pins--;
        if (s.pins == 0 && s.deleteRequested && !s.writingBack) {
            drop(s);
        }
    }

    /** Whether {@code key} is cached (servable) in this process's view. */
    synchronized boolean contains(BlockKey key) {
        Slot s = byKey.get(key);
        return s != null && s.state.servable();
    }

    /** Whether {@code key} is cached, or being stored. */
    synchronized boolean containsOrStoring(BlockKey key) {
        return byKey.containsKey(key);
    }

    // ---------------------------------------------------------------- write-back

    /** Marks a DIRTY block as being written back; false if the slot no longer holds {@code generation} DIRTY. */
    synchronized boolean startWriteBack(Slot s, long generation) {
        if (s.state != SlotState.DIRTY || s.generation != generation || s.deleteRequested) {
            return false;
        }
        s.writingBack = true;
        return true;
    }

    /**
     * Ends a write-back: the block becomes CLEAN (evictable) when the disk tier holds it durably,
     * or stays DIRTY but evictable when the write-back gave up.
     *
     * @return whether the block was deleted while it was written back (the caller deletes it from
     *     the disk tier, where it just landed)
     */
    synchronized boolean finishWriteBack(Slot s, boolean durable) {
        s.writingBack = false;
        if (s.deleteRequested) {
            if (s.pins == 0) {
                drop(s);
            }
            return true;
        }
        if (durable) {
            s.state = SlotState.CLEAN;
            SlotHeader.writeState(mapping, arena.headerAt(s.index), SlotState.CLEAN);
            putIndex(s);
        } else {
            s.writeBackGaveUp = true;
        }
        return false;
    }

    /**
     * Ends a write-back attempt that will be retried: the block stays DIRTY.
     *
     * @return whether it was deleted meanwhile (and is now freed: nothing to retry)
     */
    synchronized boolean pauseWriteBack(Slot s) {
        s.writingBack = false;
        if (s.deleteRequested) {
            if (s.pins == 0) {
                drop(s);
            }
            return true;
        }
        return false;
    }

    /** Every DIRTY block, oldest write first: what a restarted owner writes back. */
    synchronized List<Pinned> dirty() {
        List<Pinned> out = new ArrayList<>();
        for (Slot s : slots) {
            if (s.state == SlotState.DIRTY && !s.writeBackGaveUp) {
                out.add(new Pinned(s, s.generation, s.length, s.crc));
            }
        }
        out.sort(Comparator.comparingLong(p -> p.slot().writtenAt));
        return out;
    }

    // ---------------------------------------------------------------- delete, evict

    /**
     * Removes {@code key}: at once if nothing uses its slot, otherwise when the copy, pin or
     * write-back using it ends. The index entry goes at once either way.
     *
     * @return whether the key was cached or being stored
     */
    synchronized boolean delete(BlockKey key) {
        Slot s = byKey.remove(key);
        if (s == null) {
            return false;
        }
        policy.remove(key);
        if (s.state == SlotState.WRITING || s.pins > 0 || s.writingBack) {
            s.deleteRequested = true;
            if (s.state.servable()) {
                removeIndex(s);
            }
            return true;
        }
        drop(s);
        return true;
    }

    /** Evicts the policy's victim (steps E1-E3) and returns its slot, or null if nothing is evictable. */
    private Slot evictOne() {
        BlockKey victim = policy.victim(k -> evictable(byKey.get(k)));
        if (victim == null) {
            return null;
        }
        Slot s = byKey.remove(victim);
        policy.remove(victim);
        long at = arena.headerAt(s.index);
        SlotHeader.writeState(mapping, at, SlotState.EVICTING);
        removeIndex(s);
        SlotHeader.writeState(mapping, at, SlotState.FREE);
        metrics.evictions.increment();
        if (s.state == SlotState.DIRTY) {
            metrics.evictedUnwritten.increment();
        }
        s.clear();
        return s;
    }

    private static boolean evictable(Slot s) {
        return s != null && s.pins == 0 && !s.writingBack
                && (s.state == SlotState.CLEAN || (s.state == SlotState.DIRTY && s.writeBackGaveUp));
    }

    /** Frees a slot whose block is gone: EVICTING, index entry removed, FREE (steps E1-E3). */
    private void drop(Slot s) {
        long at = arena.headerAt(s.index);
        SlotHeader.writeState(mapping, at, SlotState.EVICTING);
        if (s.state.servable() && !s.deleteRequested) {
            removeIndex(s);
        }
        if (s.key != null) {
            byKey.remove(s.key, s);
        }
        SlotHeader.writeState(mapping, at, SlotState.FREE);
        s.clear();
        free.add(s);
    }

    /** A WRITING slot back to FREE: its sequence number becomes even again (nothing was published with it). */
    private void release(Slot s, long evenSeq) {
        long at = arena.headerAt(s.index);
        SlotHeader.writeState(mapping, at, SlotState.FREE);
        SlotHeader.seqRelease(mapping, at, evenSeq);
        if (s.key != null) {
            byKey.remove(s.key, s);
        }
        s.clear();
        free.add(s);
    }

    // ---------------------------------------------------------------- index

    private void putIndex(Slot s) {
        try {
            index.put(s.key.toBytes(), s.entry());
        } catch (IndexUnavailableException e) {
            metrics.indexFailures.increment();
            LOG.warn("{}; {} stays cached for this process, the index is rebuilt", e.getMessage(), s);
            indexTrouble.run();
        }
    }

    private void removeIndex(Slot s) {
        try {
            index.remove(s.key.toBytes());
        } catch (IndexUnavailableException e) {
            // Readers elsewhere may still find the entry; its generation check rejects the slot
            // once it is rewritten, and the rebuilt index will not have it.
            metrics.indexFailures.increment();
            LOG.warn("{}; the entry of {} is dropped by the index rebuild", e.getMessage(), s);
            indexTrouble.run();
        }
    }

    /** Runs {@code action} with the lock held and the index swappable (the rebuild). */
    synchronized void withLock(Consumer<SlotTable> action) {
        action.accept(this);
    }

    CacheIndex index() {
        return index;
    }

    /** Replaces the index (the caller holds the lock through {@link #withLock}). */
    void index(CacheIndex replacement) {
        this.index = replacement;
    }

    /** Every servable slot (the caller holds the lock through {@link #withLock}). */
    List<Slot> servable() {
        List<Slot> out = new ArrayList<>();
        for (Slot s : slots) {
            if (s.state.servable() && !s.deleteRequested) {
                out.add(s);
            }
        }
        return out;
    }

    /** Writes the access clock of blocks hit since it was last indexed (at close: restart keeps the order). */
    synchronized int persistAccessClock() {
        int n = 0;
        for (Slot s : slots) {
            if (s.state.servable() && !s.deleteRequested && s.lastAccess != s.lastAccessIndexed) {
                s.lastAccessIndexed = s.lastAccess;
                putIndex(s);
                n++;
            }
        }
        return n;
    }

    synchronized int cachedBlocks() {
        return byKey.size();
    }

    synchronized long cachedBytes() {
        long n = 0;
        for (Slot s : byKey.values()) {
            n += s.length;
        }
        return n;
    }

    synchronized int dirtyBlocks() {
        int n = 0;
        for (Slot s : byKey.values()) {
            n += s.state == SlotState.DIRTY ? 1 : 0;
        }
        return n;
    }

    int slotCount() {
        return slots.length;
    }
}
