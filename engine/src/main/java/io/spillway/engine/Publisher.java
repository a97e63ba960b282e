package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import io.spillway.recovery.CommitLogCompaction;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CommitLog;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongPredicate;

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
    private final Map<RecordKey, InFlight> inFlight = new ConcurrentHashMap<>();
    private final Map<RecordKey, BlockLocation> uncommitted = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Manual commit with a synced index only: see {@link CommitLog}. */
    private CommitLog commitLog;
    private final FileIO logIo;
    private final Path logDir;
    /** The log is rewritten with only its live entries once it grows past this. */
    private long compactAt;

    /**
     * @param logDir where the {@link CommitLog} lives (the first store directory); it is used only
     *     under manual commit with a synced index (with durability {@code none} nothing is
     *     promised to survive a crash, and auto-commit records need no log)
     */
    Publisher(BlockIndex index, boolean autoCommit, boolean syncIndex, FileIO logIo, Path logDir) throws IOException {
        this.index = index;
        this.autoCommit = autoCommit;
        this.syncIndex = syncIndex;
        this.logIo = logIo;
        this.logDir = !autoCommit && syncIndex ? logDir : null;
        if (this.logDir != null) {
            compactCommitLog(COMPACT_AT_OPEN);
        }
    }

    /** At open, a log above this size is compacted. */
    static final long COMPACT_AT_OPEN = 1L << 20;
    /** While open, the log is compacted when it reaches twice its compacted size, and at least this. */
    static final long COMPACT_AT_LEAST = 64L << 20;

    /**
     * Rewrites the commit log with one entry per key the index still points at exactly as
     * logged (a later delete, eviction or relocation makes an entry useless), if the log is
     * larger than {@code threshold}; then opens it for appending. Called with no log open.
     */
    private void compactCommitLog(long threshold) throws IOException {
        long indexed = index.getMeta(MetaKeys.COMMIT_LOG_SEQ).orElse(0L);
        CommitLog.Contents c = CommitLog.read(logIo, logDir);
        if (c.validEnd() > threshold) {
            List<CommitLog.Entry> keep = CommitLogCompaction.stillIndexed(c, index);
            // Every kept commit is in the index already: the rewrite keeps the highest sequence
            // number, so an intact index applies none of it and a lost one all of it.
            CommitLog.rewrite(logIo, logDir, Math.max(indexed, c.lastSeq()), keep);
        }
        commitLog = CommitLog.open(logIo, logDir, indexed);
        compactAt = Math.max(COMPACT_AT_LEAST, 2 * commitLog.size());
    }

    /**
     * A commit whose log append failed is reported failed, yet its record may reach the disk
     * (a failed write or sync says nothing about what did). Recording its sequence number in the
     * index as already applied keeps recovery from ever applying it, for instance over a delete
     * the caller made after hearing of the failure.
     */
    private void voidFailedAppend(IOException cause) {
        try (BlockIndex.Batch b = index.batch()) {
            b.putMeta(MetaKeys.COMMIT_LOG_SEQ, commitLog.lastSeq());
            index.write(b, true);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /** Closes the commit log, if any. */
    void close() throws IOException {
        if (commitLog != null) {
            commitLog.close();
            commitLog = null;
        }
    }

    /**
     * Claims {@code key} for block {@code block} of dump {@code task}; null if another live dump
     * holds it or it awaits commit. A claim whose block already finished without publishing (it
     * timed out while its write hangs) is stale and is taken over: deduplicating against it
     * would report OK for a block that is never stored.
     */
    InFlight claim(RecordKey key, TaskImpl task, int block) {
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
     * <p>A commit of written blocks, with a synced index:
     * <ol>
     *   <li>append their locations to the {@link CommitLog} and fdatasync it;
     *   <li>write their index entries and the log record's sequence number in one synced batch.
     * </ol>
     * A crash after step 1 lets recovery finish the commit from the log (the caller was never
     * told either way, as for a dump in flight); if step 1 fails, nothing changed and the call
     * throws. A lost or stale index is rebuilt with every logged commit it lacks. A commit of a
     * key still being written is recorded in the index when the dump publishes, not in the log.
     *
     * @return how many keys the call applied to
     */
    int commit(List<RecordKey> keys, boolean success) throws IOException {
        if (autoCommit) {
            return 0;
        }
        int applied = 0;
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            List<CommitLog.Entry> logged = new ArrayList<>();
            List<InFlight> writing = new ArrayList<>();
            for (RecordKey key : new LinkedHashSet<>(keys)) {
                BlockLocation loc = uncommitted.get(key);
                if (loc != null) {
                    if (success) {
                        batch.put(key, loc);
                        logged.add(new CommitLog.Entry(key, loc));
                    }
                    applied++;
                    continue;
                }
                InFlight t = inFlight.get(key);
                if (t != null) {
                    writing.add(t);
                    applied++;
                }
            }
            if (logDir != null && !logged.isEmpty()) {
                if (commitLog == null || commitLog.failed()) {
                    // A log whose sync failed takes no more appends (a failed fsync is never retried on
                    // the same file): its live entries go to a new file first. The same rewrite
                    // reopens a log whose last compaction failed to.
                    if (commitLog != null) {
                        commitLog.close();
                        commitLog = null;
                    }
                    compactCommitLog(0);
                }
                long seq = 0;
                try {
                    for (int from = 0; from < logged.size(); from += CommitLog.MAX_ENTRIES) {
                        seq = commitLog.append(logged.subList(from, Math.min(logged.size(), from + CommitLog.MAX_ENTRIES)));
                    }
                } catch (IOException e) {
                    voidFailedAppend(e);
                    throw e;
                }
                batch.putMeta(MetaKeys.COMMIT_LOG_SEQ, seq);
            }
            index.write(batch, syncIndex);
            // Only now that nothing can fail any more: a failed commit changes nothing.
            keys.forEach(uncommitted::remove);
            for (InFlight t : writing) {
                synchronized (t) {
                    t.commitIntent = success ? InFlight.CommitIntent.COMMIT : InFlight.CommitIntent.ABORT;
                }
            }
            if (commitLog != null && commitLog.size() > compactAt) {
                commitLog.close();
                commitLog = null;
                compactCommitLog(0);
            }
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
    int delete(List<RecordKey> keys) throws IOException {
        return updateLocked(keys, syncIndex, (batch, locs) -> {
            int removed = 0;
            for (int i = 0; i < keys.size(); i++) {
                RecordKey key = keys.get(i);
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
            return removed;
        });
    }

    /**
     * Removes {@code key}'s index entry if it still points at {@code expected} (a corrupt block
     * found by a load; a concurrent re-dump to a new place must not be undone).
     */
    boolean removeIf(RecordKey key, BlockLocation expected) throws IOException {
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
    boolean[] relocate(List<? extends RecordKey> keys, List<BlockLocation> from, List<BlockLocation> to, long segmentId, long watermark)
            throws IOException {
        return updateLocked(keys, syncIndex, (batch, current) -> {
            // The copies' fate is decided here, moved or not: recovery must not re-index the
            // copies of keys that were deleted meanwhile.
            batch.watermark(segmentId, watermark);
            boolean[] moved = new boolean[keys.size()];
            for (int i = 0; i < keys.size(); i++) {
                if (from.get(i).equals(current.get(i))) {
                    batch.remove(keys.get(i), from.get(i));
                    batch.put(keys.get(i), to.get(i));
                    moved[i] = true;
                } else if (uncommitted.replace(keys.get(i), from.get(i), to.get(i))) {
                    moved[i] = true; // a dump awaiting commit: its commit publishes the copy
                }
            }
            return moved;
        });
    }

    /**
     * What {@link #removeIn} removed.
     *
     * @param entries index entries removed
     * @param rawBytes their blocks' payload bytes (uncompressed)
     */
    record Removed(long entries, long rawBytes) {
    }

    /** For each key, where its dump awaiting commit (manual commit) is, or null. */
    List<BlockLocation> uncommittedAt(List<RecordKey> keys) {
        List<BlockLocation> out = new ArrayList<>(keys.size());
        for (RecordKey k : keys) {
            out.add(uncommitted.get(k));
        }
        return out;
    }

    /**
     * Removes the entries of {@code keys} that still point into segment {@code segmentId} (an
     * evicted segment); entries that moved elsewhere meanwhile stay. So do dumps awaiting commit
     * that are there: a later commit of such a key then applies to nothing, rather than publish
     * a location in a deleted file.
     */
    Removed removeIn(List<RecordKey> keys, long segmentId) throws IOException {
        return updateLocked(keys, syncIndex, (batch, current) -> {
            long removed = 0;
            long bytes = 0;
            for (int i = 0; i < keys.size(); i++) {
                BlockLocation c = current.get(i);
                if (c != null && c.segmentId() == segmentId) {
                    batch.remove(keys.get(i), c);
                    removed++;
                    bytes += c.rawLength();
                }
                BlockLocation u = uncommitted.get(keys.get(i));
                if (u != null && u.segmentId() == segmentId && uncommitted.remove(keys.get(i), u)) {
                    removed++;
                    bytes += u.rawLength();
                }
            }
            return new Removed(removed, bytes);
        });
    }

    /**
     * Indexes another writer's sealed records (shared store discovery): each entry goes in where
     * the index lacks its key, or points into a segment {@code present} says is gone; an entry
     * of ours, or a dump of the key in flight here, wins. Under the write lock, so no publish,
     * commit, delete or GC update interleaves between the compare and the set.
     *
     * @return how many entries were added
     */
    int ingest(List<SegmentFooter.Entry> entries, LongPredicate present) throws IOException {
        return updateLocked(entries.stream().map(SegmentFooter.Entry::key).toList(), false, (batch, current) -> {
            int added = 0;
            for (int i = 0; i < entries.size(); i++) {
                SegmentFooter.Entry e = entries.get(i);
                BlockLocation cur = current.get(i);
                if (inFlight.containsKey(e.key()) || uncommitted.containsKey(e.key()) || cur != null && present.test(cur.segmentId())) {
                    continue;
                }
                if (cur != null) {
                    batch.remove(e.key(), cur);
                }
                batch.put(e.key(), e.location());
                added++;
            }
            return added;
        });
    }

    /** Keys dumped under manual commit and not yet committed or rolled back. */
    int uncommittedCount() {
        return uncommitted.size();
    }

    private interface Update<T> {
        T fill(BlockIndex.Batch batch, List<BlockLocation> current) throws IOException;
    }

    /**
     * Reads the index entries of {@code keys}, has {@code update} fill a batch from them and
     * writes it, all under the write lock: no publish, commit, delete or GC update interleaves
     * between the read and the write.
     */
    private <T> T updateLocked(List<? extends RecordKey> keys, boolean sync, Update<T> update) throws IOException {
        lock.writeLock().lock();
        try (BlockIndex.Batch batch = index.batch()) {
            T result = update.fill(batch, index.getAll(keys));
            index.write(batch, sync);
            return result;
        } finally {
            lock.writeLock().unlock();
        }
    }
}
