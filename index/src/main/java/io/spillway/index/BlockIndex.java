package io.spillway.index;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The durable index: block key to {@link BlockLocation}, plus per-segment accounting and a little
 * store metadata, in one RocksDB instance ({@link IndexDatabase}).
 *
 * <p>Column families:
 * <ul>
 *   <li>{@code blocks}: 32-byte key to a {@link LocationCodec} value.
 *   <li>{@code segments}: per-segment counters and markers ({@link SegmentAccounting}).
 *   <li>{@code default}: store metadata (next segment id, lifetime counters).
 * </ul>
 * The index knows nothing of files. Callers order their writes: the data a batch points at must
 * be durable before the batch is written (design invariant 2).
 */
public final class BlockIndex implements AutoCloseable {

    private final Path dir;
    private final IndexDatabase rocks;
    private final WriteOptions asyncWrite = new WriteOptions();
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final ReadOptions lookupRead = new ReadOptions().setVerifyChecksums(true);

    /**
     * Every RocksDB call runs under the read side; {@link #close} takes the write side. A RocksDB
     * handle used after close crashes the JVM, and a thread stuck in slow IO (an append worker
     * on a hung mount) may come back after the store closed: it then gets an IndexException.
     */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private boolean closed;
    /** The indexed keys, for lookups; see {@link KeyTable}. */
    private final KeyTable keyTable = new KeyTable();

    private BlockIndex(Path dir, IndexDatabase rocks) {
        this.dir = dir;
        this.rocks = rocks;
    }

    /** Opens (and with {@link IndexOptions#createIfMissing()}, creates) the index in {@code dir}. */
    public static BlockIndex open(Path dir, IndexOptions options) throws IndexException {
        IndexDatabase rocks = IndexDatabase.open(dir, options);
        BlockIndex index = new BlockIndex(dir, rocks);
        try {
            index.loadKeyTable();
            return index;
        } catch (RocksDBException e) {
            index.close();
            throw new IndexException("cannot open index at " + dir, e);
        }
    }

    /**
     * Fills the key table from the {@code blocks} family: this dominates a clean open (about
     * 0.5 s per million keys on a small VM). The table is presized from RocksDB's key estimate
     * and filled without locks or change maps (nothing else sees it yet), and the scan reads
     * ahead without polluting the block cache that lookups use.
     */
    private void loadKeyTable() throws RocksDBException {
        keyTable.reserve(rocks.db.getLongProperty(rocks.blocks, "rocksdb.estimate-num-keys"));
        try (ReadOptions scan = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20);
             RocksIterator it = rocks.db.newIterator(rocks.blocks, scan)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                keyTable.load(RecordKey.of(it.key()));
            }
            it.status();
        }
    }

    public Path directory() {
        return dir;
    }

    /** One RocksDB access: under the gate, its failure reported as an {@link IndexException}. */
    @FunctionalInterface
    private interface RocksCall<T> {
        T call() throws RocksDBException;
    }

    /** Runs {@code call} under the read side of the gate; {@code failure} says what failed. */
    private <T> T guarded(Supplier<String> failure, RocksCall<T> call) throws IndexException {
        enter();
        try {
            return call.call();
        } catch (RocksDBException e) {
            throw new IndexException(failure.get(), e);
        } finally {
            exit();
        }
    }

    /** The location of {@code key}, if indexed. */
    public Optional<BlockLocation> get(RecordKey key) throws IndexException, CorruptRecordException {
        byte[] v = guarded(() -> "index read failed", () -> rocks.db.get(rocks.blocks, lookupRead, key.toBytes()));
        return v == null ? Optional.empty() : Optional.of(LocationCodec.decode(v));
    }

    /**
     * Locations of {@code keys} in one {@code multiGet}: null where a key is not indexed, or where
     * its value is unreadable (the caller treats that as a miss and may repair).
     */
    public List<BlockLocation> getAll(List<? extends RecordKey> keys) throws IndexException {
        if (keys.isEmpty()) {
            ensureOpen();
            return List.of();
        }
        List<byte[]> k = new ArrayList<>(keys.size());
        for (RecordKey key : keys) {
            k.add(key.toBytes());
        }
        List<ColumnFamilyHandle> cfs = Collections.nCopies(keys.size(), rocks.blocks);
        List<byte[]> raw = guarded(() -> "index multiGet of " + keys.size() + " keys failed",
                () -> rocks.db.multiGetAsList(lookupRead, cfs, k));
        List<BlockLocation> out = new ArrayList<>(raw.size());
        for (byte[] v : raw) {
            out.add(v == null ? null : decodeOrNull(v));
        }
        return out;
    }

    private static BlockLocation decodeOrNull(byte[] v) {
        try {
            return LocationCodec.decode(v);
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    /**
     * For each record, whether the index points at exactly it (same segment and offset): the
     * liveness a footer records. A key re-dumped elsewhere, deleted, or never published is not
     * live here.
     */
    public boolean[] pointsAt(List<SegmentFooter.Entry> records) throws IndexException {
        List<BlockLocation> current = getAll(records.stream().map(SegmentFooter.Entry::key).toList());
        boolean[] live = new boolean[records.size()];
        for (int i = 0; i < live.length; i++) {
            BlockLocation c = current.get(i);
            BlockLocation r = records.get(i).location();
            live[i] = c != null && c.segmentId() == r.segmentId() && c.payloadOffset() == r.payloadOffset();
        }
        return live;
    }

    /** Which of {@code keys} are indexed (answered from the in-memory {@link KeyTable}). */
    public BitSet contains(List<? extends RecordKey> keys) throws IndexException {
        enter();
        try {
            boolean[] present = keyTable.containsAll(keys);
            BitSet hits = new BitSet(keys.size());
            for (int i = 0; i < present.length; i++) {
                if (present[i]) {
                    hits.set(i);
                }
            }
            return hits;
        } finally {
            exit();
        }
    }

    /** How many leading keys are indexed, stopping at the first miss (from the {@link KeyTable}). */
    public int prefixHits(List<? extends RecordKey> keys) throws IndexException {
        enter();
        try {
            return keyTable.leading(keys);
        } finally {
            exit();
        }
    }

    /** A batch of index changes, applied atomically by {@link #write}. */
    public final class Batch implements AutoCloseable {
        private final WriteBatch wb = new WriteBatch();
        private final SegmentAccounting.Deltas deltas = new SegmentAccounting.Deltas();
        private final Map<RecordKey, Boolean> keyChanges = new LinkedHashMap<>();
        private int ops;

        /** One change to the RocksDB batch. */
        @FunctionalInterface
        private interface Change {
            void apply() throws RocksDBException;
        }

        private void add(String what, Change change) throws IndexException {
            try {
                change.apply();
            } catch (RocksDBException e) {
                throw new IndexException("index batch " + what + " failed", e);
            }
            ops++;
        }

        /** Points {@code key} at {@code loc}; the caller has checked it is not indexed yet. */
        public Batch put(RecordKey key, BlockLocation loc) throws IndexException {
            add("put", () -> wb.put(rocks.blocks, key.toBytes(), LocationCodec.encode(loc)));
            keyChanges.put(key, Boolean.TRUE);
            deltas.added(loc);
            return this;
        }

        /** Removes {@code key}, which the caller read at {@code old}, and its live accounting. */
        public Batch remove(RecordKey key, BlockLocation old) throws IndexException {
            add("delete", () -> wb.delete(rocks.blocks, key.toBytes()));
            keyChanges.put(key, Boolean.FALSE);
            deltas.removed(old);
            return this;
        }

        /**
         * Records that every group of {@code segmentId} ending at or before {@code endOffset} has
         * its fate decided by this batch or an earlier one (a plain put: the syncer writes a
         * segment's groups in order, so the value only grows). See {@link SegmentAccounting#WATERMARK}.
         */
        public Batch watermark(long segmentId, long endOffset) throws IndexException {
            return marker("watermark", segmentId, SegmentAccounting.WATERMARK, endOffset);
        }

        /** Fences {@code segmentId}; see {@link SegmentAccounting#FENCED}. */
        public Batch fence(long segmentId) throws IndexException {
            return marker("fence", segmentId, SegmentAccounting.FENCED, 1);
        }

        /** Marks {@code segmentId} as sealed (or being sealed); see {@link SegmentAccounting#SEALED}. */
        public Batch sealed(long segmentId) throws IndexException {
            return marker("sealed", segmentId, SegmentAccounting.SEALED, 1);
        }

        private Batch marker(String what, long segmentId, byte field, long value) throws IndexException {
            add(what + " put", () -> wb.put(rocks.segments, SegmentAccounting.key(segmentId, field), SegmentAccounting.u64le(value)));
            return this;
        }

        /** Removes a metadata value. */
        public Batch deleteMeta(String name) throws IndexException {
            add("meta delete", () -> wb.delete(rocks.meta, name.getBytes()));
            return this;
        }

        /** Sets a metadata value. */
        public Batch putMeta(String name, long value) throws IndexException {
            add("meta put", () -> wb.put(rocks.meta, name.getBytes(), ByteBuffer.allocate(8).putLong(value).array()));
            return this;
        }

        public boolean isEmpty() {
            return ops == 0;
        }

        @Override
        public void close() {
            wb.close();
        }
    }

    /** A new empty batch. */
    public Batch batch() {
        return new Batch();
    }

    /**
     * Applies {@code batch} atomically.
     *
     * @param sync fsync RocksDB's WAL before returning (durability {@code always}); otherwise the
     *     write survives a process crash but not a power cut, and recovery restores it from the
     *     segments
     */
    public void write(Batch batch, boolean sync) throws IndexException {
        if (batch.isEmpty()) {
            ensureOpen();
            return;
        }
        guarded(() -> "index write of " + batch.ops + " changes failed", () -> {
            batch.deltas.flushInto(batch.wb, rocks.segments);
            rocks.db.write(sync ? syncWrite : asyncWrite, batch.wb);
            keyTable.apply(batch.keyChanges);
            return null;
        });
    }

    /** Accounting of every segment the index has seen, by id. */
    public Map<Long, SegmentStats> segmentStats() throws IndexException {
        return guarded(() -> "reading segment accounting failed", () -> SegmentAccounting.readAll(rocks.db, rocks.segments));
    }

    /**
     * The published watermark of {@code segmentId}: 0 when none was written, and
     * {@link Long#MAX_VALUE} for a fenced segment (every record's fate is decided).
     */
    public long watermark(long segmentId) throws IndexException {
        return segmentField(segmentId, SegmentAccounting.FENCED) != 0 ? Long.MAX_VALUE
                : segmentField(segmentId, SegmentAccounting.WATERMARK);
    }

    /** Marks {@code segmentId} sealed (or being sealed), synced. */
    public void markSealed(long segmentId) throws IndexException {
        try (Batch b = batch()) {
            b.sealed(segmentId);
            write(b, true);
        }
    }

    /** Whether the index knows {@code segmentId} as sealed (or being sealed). */
    public boolean knownSealed(long segmentId) throws IndexException {
        return segmentField(segmentId, SegmentAccounting.SEALED) != 0;
    }

    private long segmentField(long segmentId, byte field) throws IndexException {
        return SegmentAccounting.value(guarded(() -> "reading field " + (char) field + " of segment " + segmentId + " failed",
                () -> rocks.db.get(rocks.segments, SegmentAccounting.key(segmentId, field))));
    }

    /**
     * Writes a consistent copy of the index to {@code target} (which must not exist), with
     * RocksDB's checkpoint: hard links to the SST files where possible, plus the WAL.
     */
    public void checkpoint(Path target) throws IndexException {
        guarded(() -> "checkpoint of " + dir + " to " + target + " failed", () -> {
            try (Checkpoint cp = Checkpoint.create(rocks.db)) {
                cp.createCheckpoint(target.toString());
            }
            return null;
        });
    }

    /** Drops the accounting of a segment that no longer exists. */
    public void forgetSegment(long segmentId) throws IndexException {
        guarded(() -> "dropping accounting of segment " + segmentId + " failed", () -> {
            rocks.db.deleteRange(rocks.segments, SegmentAccounting.firstKey(segmentId), SegmentAccounting.lastKey(segmentId));
            return null;
        });
    }

    /** Visits every indexed key (fsck, stats). Stops early if the visitor returns false. */
    public void forEach(EntryVisitor visitor) throws IndexException {
        guarded(() -> "index scan failed", () -> {
            try (RocksIterator it = rocks.db.newIterator(rocks.blocks)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    if (!visitor.visit(RecordKey.of(it.key()), decodeOrNull(it.value()))) {
                        break;
                    }
                }
                it.status();
            }
            return null;
        });
    }

    /** Receives index entries; {@code loc} is null for an unreadable value. */
    @FunctionalInterface
    public interface EntryVisitor {
        boolean visit(RecordKey key, BlockLocation loc);
    }

    /** The number of indexed keys, exact: the size of the in-memory {@link KeyTable}. */
    public long keyCount() throws IndexException {
        enter();
        try {
            return keyTable.size();
        } finally {
            exit();
        }
    }

    /** RocksDB's own estimate of the number of keys (cheap; exact after compaction). */
    public long estimatedKeys() throws IndexException {
        return guarded(() -> "reading key estimate failed", () -> rocks.db.getLongProperty(rocks.blocks, "rocksdb.estimate-num-keys"));
    }

    /** A metadata value, if set. */
    public Optional<Long> getMeta(String name) throws IndexException {
        byte[] v = guarded(() -> "reading meta " + name + " failed", () -> rocks.db.get(rocks.meta, name.getBytes()));
        return v == null || v.length != 8 ? Optional.empty() : Optional.of(ByteBuffer.wrap(v).getLong());
    }

    /** Sets a metadata value, synced. */
    public void putMeta(String name, long value) throws IndexException {
        try (Batch b = batch()) {
            b.putMeta(name, value);
            write(b, true);
        }
    }

    /** Flushes memtables to SST files, so that the next open replays no WAL. */
    public void flush() throws IndexException {
        guarded(() -> "index flush failed", () -> {
            try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                rocks.db.flush(fo, rocks.families());
            }
            return null;
        });
    }

    /** Syncs RocksDB's WAL (the group-commit path writes without sync). */
    public void syncWal() throws IndexException {
        guarded(() -> "index WAL sync failed", () -> {
            rocks.db.syncWal();
            return null;
        });
    }

    private void enter() throws IndexException {
        gate.readLock().lock();
        if (closed) {
            gate.readLock().unlock();
            throw new IndexException("index " + dir + " is closed", null);
        }
    }

    private void exit() {
        gate.readLock().unlock();
    }

    /** The closed check alone, for calls that turn out to need no RocksDB access. */
    private void ensureOpen() throws IndexException {
        enter();
        exit();
    }

    @Override
    public void close() {
        gate.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            gate.writeLock().unlock();
        }
        asyncWrite.close();
        syncWrite.close();
        lookupRead.close();
        rocks.close();
    }
}
