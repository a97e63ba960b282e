package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockKey;
import io.spillway.segments.BlockLocation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Makes written blocks visible, and applies commits and deletes, without ever losing one to a
 * race with another.
 *
 * <p>Keys move through: in flight (a dump holds an {@link InFlight}) → written and synced →
 * visible (in the index), or, under manual commit, → uncommitted (held here in memory) → visible
 * on {@code commit(keys, true)}, dropped on {@code commit(keys, false)}.
 *
 * <p>Writers publish under the read side of one lock (writers do not exclude each other);
 * {@link #commit} and {@link #delete} take the write side, so each sees every key either before a
 * writer's publish (and marks its token, which the writer then honours) or after it (and finds it
 * in the index). A key is always in the in-flight map, the uncommitted map or the index while a
 * dump of it is live, which is what makes dedup exact.
 */
final class Publisher {

    private final BlockIndex index;
    private final boolean autoCommit;
    private final boolean syncIndex;
    private final Map<BlockKey, InFlight> inFlight = new ConcurrentHashMap<>();
    private final Map<BlockKey, BlockLocation> uncommitted = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    Publisher(BlockIndex index, boolean autoCommit, boolean syncIndex) {
        this.index = index;
        this.autoCommit = autoCommit;
        this.syncIndex = syncIndex;
    }

    /**
     * Claims {@code key} for block {@code block} of dump {@code task}; null if another live dump
     * holds it or it awaits commit. A claim whose block already finished without publishing (it
     * timed out while its write hangs) is stale and is taken over: deduplicating against it
     * would report OK for a block that is never stored.
     */
    InFlight claim(BlockKey key, TaskImpl task, int block) {
        if (uncommitted.containsKey(key)) {
            return null;
        }
        InFlight token = new InFlight(key, task, block);
        while (true) {
            InFlight current = inFlight.putIfAbsent(key, token);
            if (current == null) {
                return token;
            }
            if (!current.stale()) {
                return null;
            }
            if (inFlight.replace(key, current, token)) {
                return token;
            }
        }
    }

    /** Gives up a claim without publishing (the key was already indexed, or the write failed). */
    void unclaim(InFlight token) {
        inFlight.remove(token.key, token);
    }

    /** What a publish decided for one block. */
    enum Fate { VISIBLE, AWAITING_COMMIT, ABORTED, DELETED }

    /**
     * Publishes written, synced blocks in one index batch, with the published watermarks of
     * their segments (segment id to the end of the last group decided).
     *
     * @return each block's fate, in order
     */
    List<Fate> publish(List<InFlight> tokens, List<BlockLocation> locations, Map<Long, Long> watermarks) throws IOException {
        List<Fate> fates = new ArrayList<>(tokens.size());
        lock.readLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            for (Map.Entry<Long, Long> w : watermarks.entrySet()) {
                batch.watermark(w.getKey(), w.getValue());
            }
            for (int i = 0; i < tokens.size(); i++) {
                InFlight t = tokens.get(i);
                Fate fate;
                synchronized (t) {
                    if (t.deleted) {
                        fate = Fate.DELETED;
                    } else if (autoCommit || t.commitIntent == InFlight.CommitIntent.COMMIT) {
                        batch.put(t.key, locations.get(i));
                        fate = Fate.VISIBLE;
                    } else if (t.commitIntent == InFlight.CommitIntent.ABORT) {
                        fate = Fate.ABORTED;
                    } else {
                        uncommitted.put(t.key, locations.get(i));
                        fate = Fate.AWAITING_COMMIT;
                    }
                }
                fates.add(fate);
            }
            index.write(batch, syncIndex);
        } finally {
            for (InFlight t : tokens) {
                inFlight.remove(t.key, t);
            }
            lock.readLock().unlock();
        }
        return fates;
    }

    /**
     * Commits or rolls back manual-commit dumps. Keys still being written take the decision when
     * they finish. Under auto-commit this does nothing.
     *
     * @return how many keys the call applied to
     */
    int commit(List<BlockKey> keys, boolean success) throws IOException {
        if (autoCommit) {
            return 0;
        }
        int applied = 0;
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            for (BlockKey key : keys) {
                BlockLocation loc = uncommitted.remove(key);
                if (loc != null) {
                    if (success) {
                        batch.put(key, loc);
                    }
                    applied++;
                    continue;
                }
                InFlight t = inFlight.get(key);
                if (t != null) {
                    synchronized (t) {
                        t.commitIntent = success ? InFlight.CommitIntent.COMMIT : InFlight.CommitIntent.ABORT;
                    }
                    applied++;
                }
            }
            index.write(batch, syncIndex);
        } finally {
            lock.writeLock().unlock();
        }
        return applied;
    }

    /**
     * Removes keys from the store: indexed, awaiting commit, or in flight (that dump then
     * completes without becoming visible).
     *
     * @return how many keys were present in any of those states
     */
    int delete(List<BlockKey> keys) throws IOException {
        int removed = 0;
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            List<BlockLocation> locs = index.getAll(keys);
            for (int i = 0; i < keys.size(); i++) {
                BlockKey key = keys.get(i);
                boolean hit = false;
                InFlight t = inFlight.get(key);
                if (t != null) {
                    synchronized (t) {
                        t.deleted = true;
                    }
                    hit = true;
                }
                if (uncommitted.remove(key) != null) {
                    hit = true;
                }
                if (locs.get(i) != null) {
                    batch.remove(key, locs.get(i));
                    hit = true;
                }
                if (hit) {
                    removed++;
                }
            }
            index.write(batch, syncIndex);
        } finally {
            lock.writeLock().unlock();
        }
        return removed;
    }

    /**
     * Removes {@code key}'s index entry if it still points at {@code expected} (a corrupt block
     * found by a load; a concurrent re-dump to a new place must not be undone).
     */
    boolean removeIf(BlockKey key, BlockLocation expected) throws IOException {
        lock.writeLock().lock();
        try {
            var current = index.get(key);
            if (current.isEmpty() || !current.get().equals(expected)) {
                return false;
            }
            try (BlockIndex.Batch batch = index.batch()) {
                batch.remove(key, expected);
                index.write(batch, syncIndex);
            }
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The GC's conditional index update: points each key at its new location only if the index
     * still points at the old one, so a concurrent delete or re-dump is never undone. Runs under
     * the write lock, so no publish, commit or delete interleaves between the compare and the set.
     *
     * @param segmentId the segment the copies are in
     * @param watermark the end of the copies' group: written in the same batch as the segment's
     *     published watermark
     * @return for each key, whether it moved
     */
    boolean[] relocate(List<BlockKey> keys, List<BlockLocation> from, List<BlockLocation> to, long segmentId, long watermark)
            throws IOException {
        boolean[] moved = new boolean[keys.size()];
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            // The copies' fate is decided here, moved or not: recovery must not re-index the
            // copies of keys that were deleted meanwhile.
            batch.watermark(segmentId, watermark);
            List<BlockLocation> current = index.getAll(keys);
            for (int i = 0; i < keys.size(); i++) {
                if (from.get(i).equals(current.get(i))) {
                    batch.remove(keys.get(i), from.get(i));
                    batch.put(keys.get(i), to.get(i));
                    moved[i] = true;
                }
            }
            index.write(batch, syncIndex);
        } finally {
            lock.writeLock().unlock();
        }
        return moved;
    }

    /**
     * Removes the entries of {@code keys} that still point into segment {@code segmentId} (an
     * evicted segment); entries that moved elsewhere meanwhile stay.
     *
     * @return how many entries were removed, and their payload bytes
     */
    long[] removeIn(List<BlockKey> keys, long segmentId) throws IOException {
        long removed = 0;
        long bytes = 0;
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            List<BlockLocation> current = index.getAll(keys);
            for (int i = 0; i < keys.size(); i++) {
                BlockLocation c = current.get(i);
                if (c != null && c.segmentId() == segmentId) {
                    batch.remove(keys.get(i), c);
                    removed++;
                    bytes += c.rawLength();
                }
            }
            index.write(batch, syncIndex);
        } finally {
            lock.writeLock().unlock();
        }
        return new long[] {removed, bytes};
    }

    /** Keys dumped under manual commit and not yet committed or rolled back. */
    int uncommittedCount() {
        return uncommitted.size();
    }
}
