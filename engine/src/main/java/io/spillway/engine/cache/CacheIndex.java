package io.spillway.engine.cache;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.hash.locks.InterProcessLock;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The cache index: a Chronicle Map persisted beside the arena ({@code index-<epoch>.cmap}),
 * key (32 bytes) to {@link IndexEntry}. Every process on the host that opens the cache maps the
 * same file, so a block the owner indexed is found by all of them.
 *
 * <p><b>Why every operation takes its segment lock with a deadline.</b> Chronicle Map's locks
 * are words in the shared file, changed by CAS: neither the JVM nor the kernel releases them when
 * a process dies. A process killed while it held one leaves that segment locked, and a plain
 * {@code get} would then spin for 60 s before throwing. Here each operation uses {@code
 * tryLock(lock_timeout)} and reports {@link IndexUnavailableException} instead; the owner then
 * replaces the whole index with a fresh one rebuilt from the arena's slot headers under a new
 * epoch ({@link CacheRecovery}), and readers follow the epoch. Chronicle's own {@code
 * recoverPersistedTo} is never used: it requires that no other process maps the file, which an
 * owner cannot know while readers come and go.
 *
 * <p>Thread-safe (Chronicle Map is).
 */
final class CacheIndex implements AutoCloseable {

    static {
        // Chronicle's libraries report usage over the network and print a banner unless told not
        // to; a storage engine does neither (and the hosts it runs on often have no route out).
        System.setProperty("chronicle.analytics.disable", System.getProperty("chronicle.analytics.disable", "true"));
        System.setProperty("chronicle.announcer.disable", System.getProperty("chronicle.announcer.disable", "true"));
    }

    private final Path file;
    private final ChronicleMap<byte[], byte[]> map;
    private final long lockTimeoutNanos;

    /** The result of a probe: absent, present with a valid entry, or present but torn. */
    record Probe(boolean present, IndexEntry entry) {
        static final Probe ABSENT = new Probe(false, null);

        boolean torn() {
            return present && entry == null;
        }
    }

    private CacheIndex(Path file, ChronicleMap<byte[], byte[]> map, Duration lockTimeout) {
        this.file = file;
        this.map = map;
        this.lockTimeoutNanos = lockTimeout.toNanos();
    }

    /** The index file of {@code epoch} in {@code dir}. */
    static Path path(Path dir, long epoch) {
        return dir.resolve("index-" + epoch + ".cmap");
    }

    private static ChronicleMapBuilder<byte[], byte[]> builder(int slotCount) {
        // One entry per servable slot at most; the headroom keeps Chronicle's segments from
        // overflowing into extra tiers (which would grow the file after we reserved its pages).
        return ChronicleMap.of(byte[].class, byte[].class).name("spillway-cache-index")
                .constantKeySizeBySample(new byte[32]).constantValueSizeBySample(new byte[IndexEntry.BYTES])
                .entries(Math.max(1024L, slotCount + slotCount / 2L)).maxBloatFactor(2.0);
    }

    /**
     * Creates a new, empty index file (replacing one left at {@code file}) and reserves all its
     * pages, so that a full tmpfs is an error here and never a SIGBUS later.
     */
    static CacheIndex create(Path file, int slotCount, Duration lockTimeout, FileIO io) throws IOException {
        Files.deleteIfExists(file);
        ChronicleMap<byte[], byte[]> m;
        try {
            m = builder(slotCount).createPersistedTo(file.toFile());
        } catch (InternalError e) {
            Files.deleteIfExists(file);
            throw new CacheSpaceException("creating the cache index " + file + " faulted (the tmpfs is full?); "
                    + CacheSpaceException.usable(file) + " bytes free", e);
        }
        try (StoreFile f = io.openWrite(file)) {
            long size = f.size();
            if (size > 0 && !f.preallocate(0, size)) {
                throw new IOException("the file system of " + file + " cannot reserve the index's pages (no fallocate)");
            }
        } catch (IOException e) {
            m.close();
            Files.deleteIfExists(file);
            throw CacheSpaceException.wrapIfNoSpace(e, file, Files.exists(file) ? Files.size(file) : 0);
        }
        return new CacheIndex(file, m, lockTimeout);
    }

    /**
     * Opens an existing index file.
     *
     * @throws NoSuchFileException if there is none
     * @throws CacheFormatException if it is not a Chronicle Map of ours
     */
    static CacheIndex open(Path file, int slotCount, Duration lockTimeout) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no cache index");
        }
        try {
            return new CacheIndex(file, builder(slotCount).createPersistedTo(file.toFile()), lockTimeout);
        } catch (IOException | RuntimeException | InternalError e) {
            throw new CacheFormatException(file, "the index cannot be opened as a Chronicle Map: " + e, false);
        }
    }

    Path file() {
        return file;
    }

    /** Looks {@code key} up. */
    Probe get(byte[] key) throws IndexUnavailableException {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
            lock(c.readLock(), "read");
            MapEntry<byte[], byte[]> e = c.entry();
            return e == null ? Probe.ABSENT : new Probe(true, IndexEntry.decode(e.value().get()));
        } catch (RuntimeException | InternalError e) {
            throw failed("get", e);
        }
    }

    /** Inserts or replaces {@code key}'s entry. */
    void put(byte[] key, IndexEntry entry) throws IndexUnavailableException {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
            lock(c.writeLock(), "write");
            MapEntry<byte[], byte[]> e = c.entry();
            if (e != null) {
                c.replaceValue(e, c.wrapValueAsData(entry.encode()));
            } else {
                c.insert(c.absentEntry(), c.wrapValueAsData(entry.encode()));
            }
        } catch (RuntimeException | InternalError e) {
            throw failed("put", e);
        }
    }

    /** Removes {@code key}'s entry; returns whether there was one. */
    boolean remove(byte[] key) throws IndexUnavailableException {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
            lock(c.writeLock(), "write");
            MapEntry<byte[], byte[]> e = c.entry();
            if (e == null) {
                return false;
            }
            c.remove(e);
            return true;
        } catch (RuntimeException | InternalError e) {
            throw failed("remove", e);
        }
    }

    /** Entries in the map (Chronicle's count; includes torn ones). */
    long size() {
        return map.longSize();
    }

    private void lock(InterProcessLock lock, String kind) throws IndexUnavailableException {
        boolean got;
        try {
            got = lock.tryLock(lockTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IndexUnavailableException("interrupted waiting for a " + kind + " lock of " + file, e);
        }
        if (!got) {
            throw new IndexUnavailableException("a segment " + kind + " lock of " + file + " was not acquired in "
                    + TimeUnit.NANOSECONDS.toMillis(lockTimeoutNanos) + " ms (a process died holding it, or one is stalled)", null);
        }
    }

    private IndexUnavailableException failed(String op, Throwable e) {
        return new IndexUnavailableException("cache index " + op + " on " + file + " failed: " + e, e);
    }

    @Override
    public void close() {
        map.close();
    }
}
