package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.CacheVerify;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only view of a cache directory from another process on the host: it maps the arena
 * read-only and the index, and reads what the owner ({@link CacheTier}) stored, following steps
 * R1-R7 of the cross-process protocol. It never changes anything: no pins, no writes, no locks
 * other than the index's read locks (each bounded by the lock timeout).
 *
 * <p>What a reader can see, and cannot: it sees a block from the moment the owner indexed it
 * (W5) until the owner removes the entry (E2); a load racing an eviction returns either the intact
 * bytes or a miss. Since a reader cannot pin, a load whose slot the owner rewrote during the copy
 * ends {@link Outcome#MISSING} and may leave the destination partly written; its bytes are never
 * reported as OK. {@link #view} gives a client that copies by itself (say, a CUDA copy from the
 * registered arena) the same guarantee through {@link #stillValid}.
 *
 * <p>Thread-safe.
 */
public final class CacheReader implements AutoCloseable {

    private static final int REATTACH_ATTEMPTS = 50;

    private final Path directory;
    private final Duration lockTimeout;
    private final CacheVerify verify;
    private volatile Attached attached;
    /** Attachments replaced by a newer epoch: other threads may still be copying through them; closed with the reader. */
    private final List<Attached> retired = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    /** The arena and the index of one epoch, as mapped by this reader. */
    private record Attached(SlotArena arena, CacheIndex index, long epoch) {
        void close() throws IOException {
            index.close();
            arena.close();
        }
    }

    /** A block's bytes in the arena, for a client that copies them itself; valid while {@link #stillValid} says so. */
    public record SlotView(MemorySegment bytes, long generation, int crc, int slot) {
    }

    /** The outcome of a read, with a detail when it is not OK. */
    public record Read(Outcome outcome, String detail) {
    }

    private CacheReader(Path directory, Duration lockTimeout, CacheVerify verify) {
        this.directory = directory;
        this.lockTimeout = lockTimeout;
        this.verify = verify;
    }

    /**
     * Maps the cache at {@code directory} read-only.
     *
     * @param verify how each block's CRC32C is checked (R5)
     * @throws CacheFormatException if there is no usable arena there
     */
    public static CacheReader open(Path directory, Duration lockTimeout, CacheVerify verify) throws IOException {
        CacheReader r = new CacheReader(directory, lockTimeout, verify);
        r.attached = r.attach();
        return r;
    }

    /** Whether {@code key} is cached now. */
    public boolean contains(BlockKey key) throws IOException {
        return find(key) != null;
    }

    /** How many leading keys are cached, stopping at the first miss. */
    public int lookupPrefix(List<BlockKey> keys) throws IOException {
        int n = 0;
        while (n < keys.size() && contains(keys.get(n))) {
            n++;
        }
        return n;
    }

    /** Copies {@code key}'s block into {@code destination}, which must be exactly the block's size. */
    public Read read(BlockKey key, MemorySegment destination) throws IOException {
        Found f = find(key);
        if (f == null) {
            return new Read(Outcome.MISSING, "not cached");
        }
        IndexEntry e = f.entry;
        if (e.length() != destination.byteSize()) {
            return new Read(Outcome.IO_ERROR, "destination is " + destination.byteSize() + " bytes but the block is " + e.length());
        }
        return switch (SlotCopier.copyOut(f.at.arena, e.slot(), e.generation(), e.length(), e.crc(), List.of(destination),
                verify)) {
            case OK -> new Read(Outcome.OK, null);
            case CORRUPT -> new Read(Outcome.CORRUPT, "the cached bytes fail their CRC32C");
            case RACED -> new Read(Outcome.MISSING, "evicted or rewritten during the copy");
            case FAULT -> new Read(Outcome.IO_ERROR, "the arena faulted (its file was truncated?)");
        };
    }

    /** {@code key}'s bytes in the mapping, or null if not cached; copy them, then check {@link #stillValid}. */
    public SlotView view(BlockKey key) throws IOException {
        Found f = find(key);
        if (f == null) {
            return null;
        }
        IndexEntry e = f.entry;
        return new SlotView(f.at.arena.slot(e.slot()).asSlice(0, e.length()), e.generation(), e.crc(), e.slot());
    }

    /** Whether the bytes of {@code view} are still the block's (call it after copying them, R7). */
    public boolean stillValid(SlotView view) {
        VarHandle.acquireFence();
        return attached.arena.seq(view.slot()) == view.generation();
    }

    /** The whole arena mapping (read-only), for a client that registers it with CUDA. */
    public MemorySegment mapping() {
        return attached.arena.mapping();
    }

    private record Found(Attached at, IndexEntry entry) {
    }

    private Found find(BlockKey key) throws IOException {
        Attached at = current(); // R1
        CacheIndex.Probe p;
        try {
            p = at.index.get(key.toBytes()); // R2
        } catch (IndexUnavailableException e) {
            return null; // a stalled or dead lock holder: a miss, until the owner replaces the index
        }
        IndexEntry e = p.entry();
        if (e == null || e.slot() >= at.arena.layout().slotCount() || e.length() > at.arena.layout().slotSize()) {
            return null;
        }
        return at.arena.seq(e.slot()) == e.generation() ? new Found(at, e) : null; // R4
    }

    /** The current attachment, following a new index epoch or a replaced arena first. */
    private Attached current() throws IOException {
        Attached at = attached;
        Superblock sb = at.arena.superblock();
        if (!sb.retired() && sb.mapEpoch() == at.epoch) {
            return at;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the cache reader is closed");
            }
            at = attached;
            if (at.arena.superblock().retired() || at.arena.superblock().mapEpoch() != at.epoch) {
                Attached fresh = attach();
                retired.add(at);
                attached = fresh;
                at = fresh;
            }
            return at;
        }
    }

    private Attached attach() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < REATTACH_ATTEMPTS; attempt++) {
            SlotArena arena = SlotArena.open(directory.resolve("arena"), null, false);
            long epoch = arena.superblock().mapEpoch();
            try {
                return new Attached(arena, CacheIndex.open(CacheIndex.path(directory, epoch), arena.layout().slotCount(),
                        lockTimeout), epoch);
            } catch (NoSuchFileException | CacheFormatException e) {
                // The owner is replacing the index (X1-X4) or creating the arena: look again shortly.
                arena.close();
                last = e;
                sleepBriefly();
            }
        }
        throw new IOException("no usable cache index in " + directory + " after " + REATTACH_ATTEMPTS + " attempts", last);
    }

    private static void sleepBriefly() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while attaching to the cache");
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            for (Attached a : retired) {
                a.close();
            }
            attached.close();
        }
    }
}
