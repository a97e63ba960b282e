package io.spillway.engine;

import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every segment of the store: which backend holds it, in which state, and a shared reader.
 *
 * <p>Readers are opened on first use and shared by all load threads (positional reads). A
 * reader opened on an {@code .open} file stays valid after the writer renames it to {@code .seg}:
 * rename does not affect open descriptors.
 */
final class SegmentCatalog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentCatalog.class);

    /** A segment's place and state. */
    static final class Entry {
        final long id;
        final Backend backend;
        volatile SegmentPath.State state;
        private volatile SegmentReader reader;

        Entry(long id, Backend backend, SegmentPath.State state) {
            this.id = id;
            this.backend = backend;
            this.state = state;
        }

        SegmentReader reader() throws IOException {
            SegmentReader r = reader;
            if (r != null) {
                return r;
            }
            synchronized (this) {
                if (reader == null) {
                    reader = SegmentReader.open(backend.io(), new SegmentPath(id, state).in(backend.dir()), id);
                }
                return reader;
            }
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
    }

    private final Map<Long, Entry> segments = new ConcurrentSkipListMap<>();
    private final Map<Long, Boolean> failed = new ConcurrentHashMap<>();

    void add(long id, Backend backend, SegmentPath.State state) {
        Entry prev = segments.putIfAbsent(id, new Entry(id, backend, state));
        if (prev != null) {
            throw new IllegalStateException("segment " + id + " found twice: in " + prev.backend.dir() + " and " + backend.dir());
        }
    }

    void sealed(long id) {
        Entry e = segments.get(id);
        if (e != null) {
            e.state = SegmentPath.State.SEALED;
        }
    }

    /** Forgets a segment whose file is gone (an empty one discarded at close). */
    void remove(long id) {
        Entry e = segments.remove(id);
        if (e != null) {
            e.closeReader();
        }
    }

    /** A segment whose sync failed: still readable for what was synced, sealed by the next recovery. */
    void markFailed(long id) {
        failed.put(id, Boolean.TRUE);
    }

    /** Whether a segment failed in this session (it is left {@code .open} for recovery). */
    boolean anyFailed() {
        return !failed.isEmpty();
    }

    /** The reader of segment {@code id}; throws if the segment is unknown. */
    SegmentReader reader(long id) throws IOException {
        Entry e = segments.get(id);
        if (e == null) {
            throw new java.nio.file.NoSuchFileException("segment " + id + " is not in the store");
        }
        return e.reader();
    }

    Entry get(long id) {
        return segments.get(id);
    }

    int size() {
        return segments.size();
    }

    long maxId() {
        return segments.isEmpty() ? 0 : ((ConcurrentSkipListMap<Long, Entry>) segments).lastKey();
    }

    List<Entry> entries() {
        return new ArrayList<>(segments.values());
    }

    /** Bytes allocated on disk to all segments (st_blocks, not file length). */
    long allocatedBytes() {
        long total = 0;
        for (Entry e : segments.values()) {
            try {
                total += e.backend.io().allocatedBytes(new SegmentPath(e.id, e.state).in(e.backend.dir()));
            } catch (IOException ex) {
                // a segment renamed between reading its state and the stat: counted next time
            }
        }
        return total;
    }

    @Override
    public void close() {
        for (Entry e : segments.values()) {
            e.closeReader();
        }
    }
}
