package io.spillway.index;

import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentFooter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The durable index: block key to {@link BlockLocation}, plus per-segment accounting and a little
 * store metadata, in one RocksDB instance.
 *
 * <p>Column families:
 * <ul>
 *   <li>{@code blocks}: 32-byte key to a {@link LocationCodec} value. Point lookups only, so the
 *       table uses bloom filters (10 bits/key), a hash index inside data blocks, and a shared LRU
 *       block cache with index and filter blocks cached and pinned.
 *   <li>{@code segments}: 8-byte big-endian segment id plus one field byte to a u64 counter,
 *       updated with the {@code uint64add} merge operator so that accounting never needs a
 *       read-modify-write (a decrement is the two's complement addend).
 *   <li>{@code default}: store metadata (next segment id, lifetime counters).
 * </ul>
 * The index knows nothing of files. Callers order their writes: the data a batch points at must
 * be durable before the batch is written (design invariant 2).
 */
public final class BlockIndex implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private static final byte[] CF_BLOCKS = "blocks".getBytes();
    private static final byte[] CF_SEGMENTS = "segments".getBytes();
    private static final byte FIELD_BYTES = 'b';
    private static final byte FIELD_LIVE_BYTES = 'l';
    private static final byte FIELD_RECORDS = 'r';
    private static final byte FIELD_LIVE_RECORDS = 'k';
    /**
     * The published watermark of a segment: the end offset of the last group whose fate (visible,
     * or not) is durably decided. Written with a plain put in the batch that publishes that group,
     * so it is exactly as durable as the group's index entries. Recovery trusts the index for
     * records below it and decides records above it from the segment (see StoreRecovery).
     */
    private static final byte FIELD_WATERMARK = 'p';
    /**
     * Set (to 1) when the writer starts sealing a segment, before it reads the liveness it writes
     * into the footer: from then on the index is authoritative for that segment, and a deletion
     * racing the seal is not undone by recovery. A sealed segment without it (a lost index, or a
     * stale one rolled back to before the seal) has its footer's live entries re-added.
     */
    private static final byte FIELD_SEALED = 's';
    /**
     * Set (to 1) when every block ever written to a segment has had its fate reported, while the
     * process was alive: its writer failed, or the store closed with the segment left open. The
     * watermark of a fenced segment is then its whole length: recovery re-indexes nothing of it.
     */
    private static final byte FIELD_FENCED = 'f';

    private final Path dir;
    private final RocksDB db;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle blocks;
    private final ColumnFamilyHandle segments;
    private final List<AutoCloseable> resources;
    private final WriteOptions asyncWrite;
    private final WriteOptions syncWrite;
    private final ReadOptions lookupRead;

    /**
     * Every RocksDB call runs under the read side; {@link #close} takes the write side. A RocksDB
     * handle used after close crashes the JVM, and a thread stuck in slow IO (an append worker
     * on a hung mount) may come back after the store closed: it then gets an IndexException.
     */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private boolean closed;
    /** The indexed keys, for lookups; see {@link KeyTable}. */
    private final KeyTable keyTable = new KeyTable();

    private BlockIndex(Path dir, RocksDB db, List<ColumnFamilyHandle> handles, List<AutoCloseable> resources) {
        this.dir = dir;
        this.db = db;
        this.meta = handles.get(0);
        this.blocks = handles.get(1);
        this.segments = handles.get(2);
        this.resources = resources;
        this.asyncWrite = new WriteOptions();
        this.syncWrite = new WriteOptions().setSync(true);
        this.lookupRead = new ReadOptions().setVerifyChecksums(true);
    }

    /** Opens (and with {@link IndexOptions#createIfMissing()}, creates) the index in {@code dir}. */
    public static BlockIndex open(Path dir, IndexOptions options) throws IndexException {
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            if (options.createIfMissing()) {
                Files.createDirectories(dir);
            } else if (!Files.isDirectory(dir)) {
                throw new IndexException("no index at " + dir, null);
            }
            LRUCache cache = track(resources, new LRUCache(options.blockCacheBytes()));
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setFilterPolicy(track(resources, new BloomFilter(10)))
                    .setWholeKeyFiltering(true)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash)
                    .setBlockSize(4096);
            ColumnFamilyOptions blocksOpts = track(resources, new ColumnFamilyOptions())
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setWriteBufferSize(64L << 20)
                    .setMemtablePrefixBloomSizeRatio(0.1)
                    .setLevelCompactionDynamicLevelBytes(true);
            ColumnFamilyOptions segmentsOpts = track(resources, new ColumnFamilyOptions())
                    .setMergeOperator(track(resources, new UInt64AddOperator()));
            ColumnFamilyOptions metaOpts = track(resources, new ColumnFamilyOptions());
            DBOptions dbOpts = track(resources, new DBOptions())
                    .setCreateIfMissing(options.createIfMissing())
                    .setCreateMissingColumnFamilies(options.createIfMissing())
                    .setMaxBackgroundJobs(2)
                    .setKeepLogFileNum(3)
                    .setParanoidChecks(true);
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, metaOpts),
                    new ColumnFamilyDescriptor(CF_BLOCKS, blocksOpts),
                    new ColumnFamilyDescriptor(CF_SEGMENTS, segmentsOpts));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(dbOpts, dir.toString(), descriptors, handles);
            BlockIndex index = new BlockIndex(dir, db, handles, resources);
            index.loadKeyTable();
            return index;
        } catch (RocksDBException | java.io.IOException e) {
            closeAll(resources);
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
        keyTable.reserve(db.getLongProperty(blocks, "rocksdb.estimate-num-keys"));
        try (ReadOptions scan = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20);
             RocksIterator it = db.newIterator(blocks, scan)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                keyTable.load(RecordKey.of(it.key()));
            }
            it.status();
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> list, T r) {
        list.add(r);
        return r;
    }

    public Path directory() {
        return dir;
    }

    /** The location of {@code key}, if indexed. */
    public Optional<BlockLocation> get(RecordKey key) throws IndexException, CorruptRecordException {
        enter();
        try {
            try {
                byte[] v = db.get(blocks, lookupRead, key.toBytes());
                return v == null ? Optional.empty() : Optional.of(LocationCodec.decode(v));
            } catch (RocksDBException e) {
                throw new IndexException("index read failed", e);
            }
        } finally {
            exit();
        }
    }

    /**
     * Locations of {@code keys} in one {@code multiGet}: null where a key is not indexed, or where
     * its value is unreadable (the caller treats that as a miss and may repair).
     */
    public List<BlockLocation> getAll(List<? extends RecordKey> keys) throws IndexException {
        List<byte[]> raw = multiGet(keys);
        List<BlockLocation> out = new ArrayList<>(raw.size());
        for (byte[] v : raw) {
            BlockLocation loc = null;
            if (v != null) {
                try {
                    loc = LocationCodec.decode(v);
                } catch (CorruptRecordException e) {
                    loc = null;
                }
            }
            out.add(loc);
        }
        return out;
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

    /** One RocksDB multiGet; values are null where a key is absent. */
    private List<byte[]> multiGet(List<? extends RecordKey> keys) throws IndexException {
        enter();
        try {
            if (keys.isEmpty()) {
                return List.of();
            }
            List<byte[]> k = new ArrayList<>(keys.size());
            List<ColumnFamilyHandle> cfs = new ArrayList<>(keys.size());
            for (RecordKey key : keys) {
                k.add(key.toBytes());
                cfs.add(blocks);
            }
            try {
                return db.multiGetAsList(lookupRead, cfs, k);
            } catch (RocksDBException e) {
                throw new IndexException("index multiGet of " + keys.size() + " keys failed", e);
            }
        } finally {
            exit();
        }
    }

    /** A batch of index changes, applied atomically by {@link #write}. */
    public final class Batch implements AutoCloseable {
        private final WriteBatch wb = new WriteBatch();
        private final Map<Long, long[]> deltas = new HashMap<>();
        private final Map<RecordKey, Boolean> keyChanges = new java.util.LinkedHashMap<>();
        private int ops;

        /** Points {@code key} at {@code loc}; the caller has checked it is not indexed yet. */
        public Batch put(RecordKey key, BlockLocation loc) throws IndexException {
            try {
                wb.put(blocks, key.toBytes(), LocationCodec.encode(loc));
            } catch (RocksDBException e) {
                throw new IndexException("index batch put failed", e);
            }
            keyChanges.put(key, Boolean.TRUE);
            long[] d = deltas.computeIfAbsent(loc.segmentId(), id -> new long[4]);
            d[0] += loc.storedLength();
            d[1] += loc.storedLength();
            d[2] += 1;
            d[3] += 1;
            ops++;
            return this;
        }

        /** Removes {@code key}, which the caller read at {@code old}, and its live accounting. */
        public Batch remove(RecordKey key, BlockLocation old) throws IndexException {
            try {
                wb.delete(blocks, key.toBytes());
            } catch (RocksDBException e) {
                throw new IndexException("index batch delete failed", e);
            }
            keyChanges.put(key, Boolean.FALSE);
            long[] d = deltas.computeIfAbsent(old.segmentId(), id -> new long[4]);
            d[1] -= old.storedLength();
            d[3] -= 1;
            ops++;
            return this;
        }

        /**
         * Records that every group of {@code segmentId} ending at or before {@code endOffset} has
         * its fate decided by this batch or an earlier one (a plain put: the syncer writes a
         * segment's groups in order, so the value only grows).
         */
        public Batch watermark(long segmentId, long endOffset) throws IndexException {
            try {
                wb.put(segments, segmentKey(segmentId, FIELD_WATERMARK), u64le(endOffset));
            } catch (RocksDBException e) {
                throw new IndexException("index batch watermark put failed", e);
            }
            ops++;
            return this;
        }

        /** Fences {@code segmentId}; see {@link #FIELD_FENCED}. */
        public Batch fence(long segmentId) throws IndexException {
            try {
                wb.put(segments, segmentKey(segmentId, FIELD_FENCED), u64le(1));
            } catch (RocksDBException e) {
                throw new IndexException("index batch fence put failed", e);
            }
            ops++;
            return this;
        }

        /** Marks {@code segmentId} as sealed (or being sealed); see {@link #FIELD_SEALED}. */
        public Batch sealed(long segmentId) throws IndexException {
            try {
                wb.put(segments, segmentKey(segmentId, FIELD_SEALED), u64le(1));
            } catch (RocksDBException e) {
                throw new IndexException("index batch sealed put failed", e);
            }
            ops++;
            return this;
        }

        /** Removes a metadata value. */
        public Batch deleteMeta(String name) throws IndexException {
            try {
                wb.delete(meta, name.getBytes());
            } catch (RocksDBException e) {
                throw new IndexException("index batch meta delete failed", e);
            }
            ops++;
            return this;
        }

        /** Sets a metadata value. */
        public Batch putMeta(String name, long value) throws IndexException {
            try {
                wb.put(meta, name.getBytes(), longBytes(value));
            } catch (RocksDBException e) {
                throw new IndexException("index batch meta put failed", e);
            }
            ops++;
            return this;
        }

        public boolean isEmpty() {
            return ops == 0;
        }

        void flushDeltas() throws RocksDBException {
            for (Map.Entry<Long, long[]> e : deltas.entrySet()) {
                long[] d = e.getValue();
                byte[][] fields = {{FIELD_BYTES}, {FIELD_LIVE_BYTES}, {FIELD_RECORDS}, {FIELD_LIVE_RECORDS}};
                for (int i = 0; i < 4; i++) {
                    if (d[i] != 0) {
                        wb.merge(segments, segmentKey(e.getKey(), fields[i][0]), u64le(d[i]));
                    }
                }
            }
            deltas.clear();
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
        enter();
        try {
            if (batch.isEmpty()) {
                return;
            }
            try {
                batch.flushDeltas();
                db.write(sync ? syncWrite : asyncWrite, batch.wb);
                keyTable.apply(batch.keyChanges);
            } catch (RocksDBException e) {
                throw new IndexException("index write of " + batch.ops + " changes failed", e);
            }
        } finally {
            exit();
        }
    }

    /** Accounting of every segment the index has seen, by id. */
    public Map<Long, SegmentStats> segmentStats() throws IndexException {
        enter();
        try {
            Map<Long, long[]> acc = new TreeMap<>();
            try (RocksIterator it = db.newIterator(segments)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] k = it.key();
                    if (k.length != 9) {
                        continue;
                    }
                    long id = ByteBuffer.wrap(k).getLong();
                    long v = ByteBuffer.wrap(it.value()).order(ByteOrder.LITTLE_ENDIAN).getLong();
                    long[] a = acc.computeIfAbsent(id, x -> new long[4]);
                    switch (k[8]) {
                        case FIELD_BYTES -> a[0] = v;
                        case FIELD_LIVE_BYTES -> a[1] = v;
                        case FIELD_RECORDS -> a[2] = v;
                        case FIELD_LIVE_RECORDS -> a[3] = v;
                        default -> { }
                    }
                }
                it.status();
            } catch (RocksDBException e) {
                throw new IndexException("reading segment accounting failed", e);
            }
            Map<Long, SegmentStats> out = new TreeMap<>();
            acc.forEach((id, a) -> out.put(id, new SegmentStats(id, a[0], a[1], a[2], a[3])));
            return out;
        } finally {
            exit();
        }
    }

    /**
     * The published watermark of {@code segmentId}: 0 when none was written, and
     * {@link Long#MAX_VALUE} for a fenced segment (every record's fate is decided).
     */
    public long watermark(long segmentId) throws IndexException {
        return segmentField(segmentId, FIELD_FENCED) != 0 ? Long.MAX_VALUE : segmentField(segmentId, FIELD_WATERMARK);
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
        return segmentField(segmentId, FIELD_SEALED) != 0;
    }

    private long segmentField(long segmentId, byte field) throws IndexException {
        enter();
        try {
            byte[] v = db.get(segments, segmentKey(segmentId, field));
            return v == null || v.length != 8 ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (RocksDBException e) {
            throw new IndexException("reading field " + (char) field + " of segment " + segmentId + " failed", e);
        } finally {
            exit();
        }
    }

    /**
     * Writes a consistent copy of the index to {@code target} (which must not exist), with
     * RocksDB's checkpoint: hard links to the SST files where possible, plus the WAL.
     */
    public void checkpoint(Path target) throws IndexException {
        enter();
        try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new IndexException("checkpoint of " + dir + " to " + target + " failed", e);
        } finally {
            exit();
        }
    }

    /** Drops the accounting of a segment that no longer exists. */
    public void forgetSegment(long segmentId) throws IndexException {
        enter();
        try {
            try {
                db.deleteRange(segments, segmentKey(segmentId, (byte) 0), segmentKey(segmentId, (byte) 0xff));
            } catch (RocksDBException e) {
                throw new IndexException("dropping accounting of segment " + segmentId + " failed", e);
            }
        } finally {
            exit();
        }
    }

    /** Visits every indexed key (fsck, stats). Stops early if the visitor returns false. */
    public void forEach(EntryVisitor visitor) throws IndexException {
        enter();
        try {
            try (RocksIterator it = db.newIterator(blocks)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    BlockLocation loc;
                    try {
                        loc = LocationCodec.decode(it.value());
                    } catch (CorruptRecordException e) {
                        loc = null;
                    }
                    if (!visitor.visit(RecordKey.of(it.key()), loc)) {
                        break;
                    }
                }
                it.status();
            } catch (RocksDBException e) {
                throw new IndexException("index scan failed", e);
            }
        } finally {
            exit();
        }
    }

    /** Receives index entries; {@code loc} is null for an unreadable value. */
    @FunctionalInterface
    public interface EntryVisitor {
        boolean visit(RecordKey key, BlockLocation loc);
    }

    /** RocksDB's own estimate of the number of keys (cheap; exact after compaction). */
    public long estimatedKeys() throws IndexException {
        enter();
        try {
            try {
                return db.getLongProperty(blocks, "rocksdb.estimate-num-keys");
            } catch (RocksDBException e) {
                throw new IndexException("reading key estimate failed", e);
            }
        } finally {
            exit();
        }
    }

    /** A metadata value, if set. */
    public Optional<Long> getMeta(String name) throws IndexException {
        enter();
        try {
            try {
                byte[] v = db.get(meta, name.getBytes());
                return v == null || v.length != 8 ? Optional.empty() : Optional.of(ByteBuffer.wrap(v).getLong());
            } catch (RocksDBException e) {
                throw new IndexException("reading meta " + name + " failed", e);
            }
        } finally {
            exit();
        }
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
        enter();
        try {
            try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                db.flush(fo, List.of(meta, blocks, segments));
            } catch (RocksDBException e) {
                throw new IndexException("index flush failed", e);
            }
        } finally {
            exit();
        }
    }

    /** Syncs RocksDB's WAL (the group-commit path writes without sync). */
    public void syncWal() throws IndexException {
        enter();
        try {
            try {
                db.syncWal();
            } catch (RocksDBException e) {
                throw new IndexException("index WAL sync failed", e);
            }
        } finally {
            exit();
        }
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

    static byte[] segmentKey(long segmentId, byte field) {
        return ByteBuffer.allocate(9).putLong(segmentId).put(field).array();
    }

    private static byte[] u64le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
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
        meta.close();
        blocks.close();
        segments.close();
        db.close();
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // closing native handles does not fail in practice; nothing to recover
            }
        }
    }
}
