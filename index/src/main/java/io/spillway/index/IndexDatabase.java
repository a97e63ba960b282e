package io.spillway.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.UInt64AddOperator;

/**
 * The RocksDB instance behind {@link BlockIndex}: its three column families, tuned for what
 * each holds, and every native object they need, closed together.
 *
 * <ul>
 *   <li>{@code blocks}: point lookups only, so the table uses bloom filters (10 bits/key), a
 *       hash index inside data blocks, and a shared LRU block cache with index and filter blocks
 *       cached and pinned; no compression (values are 39 random-looking bytes).
 *   <li>{@code segments}: the {@code uint64add} merge operator, so that accounting never needs a
 *       read-modify-write (see {@link SegmentAccounting}).
 *   <li>{@code default}: store metadata; RocksDB's defaults.
 * </ul>
 *
 * <p>Not thread-safe to close: {@link BlockIndex} closes it once, under its gate.
 */
final class IndexDatabase implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private static final byte[] CF_BLOCKS = "blocks".getBytes();
    private static final byte[] CF_SEGMENTS = "segments".getBytes();

    final RocksDB db;
    final ColumnFamilyHandle meta;
    final ColumnFamilyHandle blocks;
    final ColumnFamilyHandle segments;
    /** Options, cache, filter and merge operator, in creation order; closed in reverse after the database. */
    private final List<AutoCloseable> resources;

    private IndexDatabase(RocksDB db, List<ColumnFamilyHandle> handles, List<AutoCloseable> resources) {
        this.db = db;
        this.meta = handles.get(0);
        this.blocks = handles.get(1);
        this.segments = handles.get(2);
        this.resources = resources;
    }

    /** Opens (and with {@link IndexOptions#createIfMissing()}, creates) the database in {@code dir}. */
    static IndexDatabase open(Path dir, IndexOptions options) throws IndexException {
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
            return new IndexDatabase(db, handles, resources);
        } catch (RocksDBException | IOException e) {
            closeAll(resources);
            throw new IndexException("cannot open index at " + dir, e);
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> list, T r) {
        list.add(r);
        return r;
    }

    /** The column families, for a flush of all of them. */
    List<ColumnFamilyHandle> families() {
        return List.of(meta, blocks, segments);
    }

    @Override
    public void close() {
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
