package io.spillway.engine;

import io.spillway.engine.policy.EvictionPolicy;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every segment of the store: which backend holds it, in which state, a shared reader, and the
 * in-memory figures the GC decides with (reader references, the eviction order, per-block hits).
 *
 * <p>Readers are opened on first use and shared by all load threads (positional reads). A reader
 * opened on an {@code .open} file stays valid after the writer renames it to {@code .seg}, and a
 * reader of a {@code .seg} stays valid after the GC renames it to {@code .deleted}: rename does
 * not affect open descriptors.
 *
 * <p>The catalog keeps the GC's {@link EvictionPolicy} up to date: a segment is admitted when it
 * joins the catalog (created by a writer, or found at open, in id order), touched by every load
 * that reads it, and removed when it leaves (evicted, or discarded empty). Admitting at creation
 * rather than at sealing keeps FIFO order the order of segment ids (the GC's own segment, filled
 * slowly, is as old as its id says) and makes a never-read segment's LRU recency its creation;
 * the GC's predicate refuses a segment until it is sealed. Concurrent writers may create
 * segments in the other order than their ids were handed out; FIFO then follows creation.
 *
 * <p>Access figures are kept in memory only (design: no RocksDB write per read): the policy's
 * order, and a hit count per payload offset for hot-block reinsertion. They start afresh after a
 * restart.
 */
final class SegmentCatalog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentCatalog.class);

    /** A segment's place, state and access figures. */
    static final class Entry {
        final long id;
        final Backend backend;
        volatile SegmentPath.State state;
        private volatile SegmentReader reader;
        /** Loads in flight on this segment; the sign bit is set once retired (no new loads). */
        private final AtomicInteger refs = new AtomicInteger();
        /** Hits per payload offset since the record was written (only offsets read at least once). */
        private final Map<Long, AtomicInteger> hits = new ConcurrentHashMap<>();
        /** Disk space, cached once the segment is sealed (a sealed file never changes). */
        private volatile long sealedAllocated = -1;
        /** For an open segment: the bytes its writer has appended so far (set by the writer). */
        volatile long written;
        /** For an open segment: its writer is done with it and handed it to be sealed (it becomes evictable soon). */
        volatile boolean retiring;
        /** Newest write time of a sealed segment's records, read once from its footer (TTL); -1 until then. */
        volatile long newestWriteMillis = -1;

        Entry(long id, Backend backend, SegmentPath.State state) {
            this.id = id;
            this.backend = backend;
            this.state = state;
        }

        Path path() {
            return new SegmentPath(id, state).in(backend.dir());
        }

        SegmentReader reader() throws IOException {
            SegmentReader r = reader;
            if (r != null) {
                return r;
            }
            synchronized (this) {
                if (reader == null) {
                    reader = open();
                }
                return reader;
            }
        }

        /**
         * Opens the segment file by its current name. Sealing renames {@code .open} to the sealed
         * name before it sets {@link #state}, so a first load in between finds no {@code .open}
         * file: the sealed one is then there (a load saw ENOENT and failed with IO_ERROR before).
         */
        private SegmentReader open() throws IOException {
            SegmentPath.State seen = state;
            try {
                return SegmentReader.open(backend.io(), new SegmentPath(id, seen).in(backend.dir()), id);
            } catch (NoSuchFileException e) {
                if (seen != SegmentPath.State.OPEN) {
                    throw e;
                }
                return SegmentReader.open(backend.io(), new SegmentPath(id, SegmentPath.State.SEALED).in(backend.dir()), id);
            }
        }

        /** Takes a reference for one load; false once the GC retired the segment (the load reports missing). */
        boolean acquire() {
            while (true) {
                int r = refs.get();
                if (r < 0) {
                    return false;
                }
                if (refs.compareAndSet(r, r + 1)) {
                    return true;
                }
            }
        }

        void release() {
            refs.decrementAndGet();
        }

        /** Refuses new loads; the ones in flight go on. */
        void retire() {
            refs.getAndUpdate(r -> r | Integer.MIN_VALUE);
        }

        /** Whether a retired segment has no load in flight. */
        boolean drained() {
            return refs.get() == Integer.MIN_VALUE;
        }

        void recordHit(long payloadOffset) {
            hits.computeIfAbsent(payloadOffset, o -> new AtomicInteger()).incrementAndGet();
        }

        /** Hits of the record at {@code payloadOffset} since it was written. */
        int hitsAt(long payloadOffset) {
            AtomicInteger h = hits.get(payloadOffset);
            return h == null ? 0 : h.get();
        }

        synchronized void closeReader() {
            if (reader != null) {
                try {
                    reader.close();
                } catch (IOException e) {
                    LOG.warn("closing reader of segment {} failed: {}", id, e.getMessage());
                }
                reader = null;
            }
        }

        long allocatedBytes() throws IOException {
            long cached = sealedAllocated;
            if (cached >= 0) {
                return cached;
            }
            long now = backend.io().allocatedBytes(path());
            if (state == SegmentPath.State.SEALED) {
                sealedAllocated = now;
            }
            return now;
        }
    }

    private final ConcurrentSkipListMap<Long, Entry> segments = new ConcurrentSkipListMap<>();
    private final Map<Long, Boolean> failed = new ConcurrentHashMap<>();
    /**
     * Which segments this store's GC may touch: all by default; in a shared store only the GC
     * owner's, and only the segments its {@code io.spillway.engine.shared} policy allows.
     */
    private volatile LongPredicate gcGate = id -> true;
    private volatile SegmentAdmission admission = SegmentAdmission.ALWAYS;
    /** Not thread-safe itself: every call holds its monitor. */
    private final EvictionPolicy<Long> eviction;

    /** @param eviction the order in which the GC evicts segments, empty */
    SegmentCatalog(EvictionPolicy<Long> eviction) {
        if (eviction.size() != 0) {
            throw new IllegalArgumentException("the eviction policy already holds " + eviction.size() + " items");
        }
        this.eviction = eviction;
    }

    /** Adds a segment, and admits it to the eviction order. */
    void add(long id, Backend backend, SegmentPath.State state) {
        synchronized (eviction) {
            Entry prev = segments.putIfAbsent(id, new Entry(id, backend, state));
            if (prev != null) {
                throw new IllegalStateException("segment " + id + " found twice: in " + prev.backend.dir() + " and " + backend.dir());
            }
            eviction.admit(id);
        }
    }

    void sealed(long id) {
        Entry e = segments.get(id);
        if (e != null) {
            e.state = SegmentPath.State.SEALED;
        }
    }

    /** Records that the writer of open segment {@code id} handed it over to be sealed. */
    void retiring(long id) {
        Entry e = segments.get(id);
        if (e != null) {
            e.retiring = true;
        }
    }

    /**
     * Whether a segment handed over to be sealed is not sealed yet: what an emergency eviction
     * waits for (briefly), as it becomes evictable in milliseconds. A failed one never does.
     */
    boolean anyRetiring() {
        for (Map.Entry<Long, Entry> me : segments.entrySet()) {
            Entry e = me.getValue();
            if (e.retiring && e.state == SegmentPath.State.OPEN && !failed.containsKey(me.getKey())) {
                return true;
            }
        }
        return false;
    }

    /** Forgets a segment whose file is gone (evicted, or an empty one discarded), and drops it from the eviction order. */
    void remove(long id) {
        Entry e;
        synchronized (eviction) {
            e = segments.remove(id);
            eviction.remove(id);
        }
        failed.remove(id);
        if (e != null) {
            e.closeReader();
        }
    }

    void gcGate(LongPredicate gate) {
        this.gcGate = gate;
    }

    boolean gcAllows(long id) {
        return gcGate.test(id);
    }

    void admission(SegmentAdmission a) {
        this.admission = a;
    }

    /** Who decides whether a new segment may be started ({@link SegmentAdmission#ALWAYS} unless shared). */
    SegmentAdmission admission() {
        return admission;
    }

    /** Whether the GC may compact segment {@code id}: only segments of this store's own backends. */
    boolean compactable(long id) {
        Entry e = segments.get(id);
        return e != null && e.backend.lock() != null;
    }

    /** A segment whose sync failed: still readable for what was synced, sealed by the next recovery. */
    void markFailed(long id) {
        failed.put(id, Boolean.TRUE);
    }

    boolean isFailed(long id) {
        return failed.containsKey(id);
    }

    /** Whether a segment failed in this session (it is left {@code .open} for recovery). */
    boolean anyFailed() {
        return !failed.isEmpty();
    }

    /** Records a load of the record at {@code payloadOffset}: a hit for reinsertion, a touch for the eviction order. */
    void recordHit(Entry e, long payloadOffset) {
        e.recordHit(payloadOffset);
        synchronized (eviction) {
            eviction.touch(e.id);
        }
    }

    /**
     * The segment to evict next: the first in the eviction policy's order that {@code evictable}
     * accepts (called with the policy's monitor held, so it must be quick and must not call back
     * into the catalog's eviction methods), or null.
     */
    Entry victim(Predicate<Entry> evictable) {
        synchronized (eviction) {
            Long id = eviction.victim(k -> {
                Entry e = segments.get(k);
                return e != null && evictable.test(e);
            });
            return id == null ? null : segments.get(id);
        }
    }

    /** The reader of segment {@code id}; throws if the segment is unknown. */
    SegmentReader reader(long id) throws IOException {
        Entry e = segments.get(id);
        if (e == null) {
            throw new NoSuchFileException("segment " + id + " is not in the store");
        }
        return e.reader();
    }

    Entry get(long id) {
        return segments.get(id);
    }

    /** A copy of the ids held now. */
    Set<Long> ids() {
        return new HashSet<>(segments.keySet());
    }

    int size() {
        return segments.size();
    }

    long maxId() {
        Map.Entry<Long, Entry> last = segments.lastEntry();
        return last == null ? 0 : last.getKey();
    }

    List<Entry> entries() {
        return new ArrayList<>(segments.values());
    }

    /** Bytes allocated on disk to all segments (st_blocks, not file length: preallocation counts). */
    long allocatedBytes() {
        long total = 0;
        for (Entry e : segments.values()) {
            try {
                total += e.allocatedBytes();
            } catch (IOException ex) {
                // renamed or deleted between reading its state and the stat: counted next time
            }
        }
        return total;
    }

    /**
     * The space the store's data takes: sealed (and half-evicted) segments as allocated on disk,
     * open ones by what their writers appended. The GC's watermarks and the capacity check use
     * this; the open segments' preallocated remainder is the "one segment per active writer"
     * the capacity may be exceeded by, so the data itself can use the whole capacity. A failed
     * segment has no writer any more: it counts as allocated, whatever it still holds.
     */
    long dataBytes() {
        long total = 0;
        for (Map.Entry<Long, Entry> me : segments.entrySet()) {
            Entry e = me.getValue();
            try {
                boolean active = e.state == SegmentPath.State.OPEN && !failed.containsKey(me.getKey());
                total += active ? Math.min(e.written, e.allocatedBytes()) : e.allocatedBytes();
            } catch (IOException ex) {
                // renamed or deleted between reading its state and the stat: counted next time
            }
        }
        return total;
    }

    /** Records how far the writer of open segment {@code id} has appended. */
    void written(long id, long position) {
        Entry e = segments.get(id);
        if (e != null) {
            e.written = position;
        }
    }

    @Override
    public void close() {
        for (Entry e : segments.values()) {
            e.closeReader();
        }
    }
}
