package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * RocksDB with integrated BlobDB (through rocksdbjni), the peer a user would pick for "a KV
 * store that handles large values": keys in the LSM tree, values in blob files.
 *
 * <p>Configuration: {@code enable_blob_files=true}, {@code min_blob_size=0} (every block goes to
 * a blob file), {@code enable_blob_garbage_collection=true}, no compression (KV payloads are
 * bf16 noise, and Spillway stores them uncompressed too), a write buffer of at least eight
 * blocks so a memtable flush writes a useful blob file. Durability matched to Spillway's
 * {@code durability: batch}: one {@link WriteBatch} per task written with {@code sync=true}
 * (the WAL is fsynced before the task returns). Integrated BlobDB writes each value twice (WAL,
 * then the blob file at flush): that is the design under test. Loads are {@code get} into the
 * caller's direct buffer; RocksDB reads blob files buffered.
 */
public final class BlobDbTarget implements BenchTarget {

    public static final String ID = "rocksdb-blob";

    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final WriteOptions writeOptions;
    private final ReadOptions readOptions;
    private final RocksDB db;
    private final ThreadLocal<ByteBuffer> keyBuffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BlockKey.BYTES));

    public BlobDbTarget(Path dir, long blockSize) throws IOException {
        Files.createDirectories(dir);
        options = blobOptions(blockSize);
        writeOptions = new WriteOptions().setSync(true);
        readOptions = new ReadOptions().setFillCache(false);
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            close();
            throw new IOException("cannot open RocksDB BlobDB in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The options described in the class comment. */
    static Options blobOptions(long blockSize) {
        return new Options().setCreateIfMissing(true)
                .setEnableBlobFiles(true)
                .setMinBlobSize(0)
                .setBlobFileSize(Math.max(256L << 20, 8 * blockSize))
                .setEnableBlobGarbageCollection(true)
                .setBlobCompressionType(CompressionType.NO_COMPRESSION)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setWriteBufferSize(Math.max(64L << 20, 8 * blockSize))
                .setMaxBackgroundJobs(2);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String label() {
        return "RocksDB BlobDB";
    }

    @Override
    public String readPath() {
        return "buffered (RocksDB blob files)";
    }

    private ByteBuffer key(BlockKey k) {
        ByteBuffer b = keyBuffers.get().clear();
        b.put(k.toBytes()).flip();
        return b;
    }

    @Override
    public int dump(int thread, List<BlockKey> keys, List<MemorySegment> sources) throws IOException {
        try (WriteBatch batch = new WriteBatch()) {
            for (int i = 0; i < keys.size(); i++) {
                batch.put(key(keys.get(i)), sources.get(i).asByteBuffer());
            }
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new IOException("RocksDB write failed: " + e.getMessage(), e);
        }
        return keys.size();
    }

    @Override
    public boolean[] load(int thread, List<BlockKey> keys, List<MemorySegment> destinations) throws IOException {
        boolean[] ok = new boolean[keys.size()];
        try {
            for (int i = 0; i < keys.size(); i++) {
                ByteBuffer dst = destinations.get(i).asByteBuffer();
                int size = db.get(readOptions, key(keys.get(i)), dst);
                ok[i] = size == dst.capacity();
            }
        } catch (RocksDBException e) {
            throw new IOException("RocksDB get failed: " + e.getMessage(), e);
        }
        return ok;
    }

    /**
     * Flushes the memtable: until then RocksDB serves recently written values from memory (a
     * whole quick run fits in one write buffer), which would time memcpy rather than BlobDB.
     */
    @Override
    public void settle() throws IOException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
        } catch (RocksDBException e) {
            throw new IOException("RocksDB flush failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (db != null) {
            db.close();
        }
        if (readOptions != null) {
            readOptions.close();
        }
        if (writeOptions != null) {
            writeOptions.close();
        }
        options.close();
    }
}
