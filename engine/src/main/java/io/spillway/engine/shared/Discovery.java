package io.spillway.engine.shared;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.SharedAccess;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery: brings other writers' sealed segments into this process's local index, and drops
 * the ones that went away. Run by the maintenance thread every {@code refresh_interval}.
 *
 * <p>One refresh:
 * <ol>
 *   <li>List {@code writers/} of the first backend (one readdir, whatever the segment count).
 *   <li>For each other writer, read its {@link Manifest} past the offset read last time. For a
 *       "sealed S" record, open {@code seg-S.seg}, read its footer (CRC-checked as always), add
 *       the segment to the catalog and its live entries to the index where the index lacks the
 *       key (dedup: this writer then never dumps those keys again). A segment already gone is
 *       skipped (its "evicted" record follows). For "evicted S", drop S's entries.
 *   <li>A writer whose directory is gone (the GC owner removed an adopted, emptied writer) has
 *       all its segments dropped.
 *   <li>Writer zero (a single-writer store's top-level segments): list the top level and attach
 *       new sealed segments, drop vanished ones.
 * </ol>
 * A load that races a drop reads on its descriptor or finds the file gone: a miss, never wrong
 * bytes (every load checks the CRC). How stale: a block sealed by another writer is visible here
 * within one refresh interval plus the file system's attribute cache (1 s on GlusterFS FUSE).
 */
final class Discovery {

    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);

    /** What a refresh did. */
    record Refreshed(int writers, int segmentsAdded, long entriesAdded, int segmentsDropped, long nanos) {
    }

    /** One other writer as seen here. */
    static final class Peer {
        final String id;
        long offset;
        /** Its segments attached here, with the keys their footers list (to drop them without a pass over the index). */
        final Map<Long, List<RecordKey>> segments = new HashMap<>();

        Peer(String id) {
            this.id = id;
        }
    }

    private final SegmentStore store;
    private final List<Path> roots;
    private final List<FileIO> ios;
    private final String self;
    private final Map<String, Peer> peers = new HashMap<>();
    private final Map<Long, List<RecordKey>> writerZero = new HashMap<>();

    Discovery(SegmentStore store, List<Path> roots, List<FileIO> ios, String self) {
        this.store = store;
        this.roots = roots;
        this.ios = ios;
        this.self = self;
    }

    Map<String, Peer> peers() {
        return peers;
    }

    /** Steps 1 to 4. */
    Refreshed refresh() throws IOException {
        long t0 = System.nanoTime();
        int added = 0;
        long entries = 0;
        int dropped = 0;
        Set<String> listed = new HashSet<>(Layout.list(Layout.writers(roots.getFirst())));
        listed.remove(self);
        for (String id : listed) {
            Peer p = peers.computeIfAbsent(id, Peer::new);
            Manifest.Tail tail = Manifest.read(Layout.writer(roots.getFirst(), id), p.offset);
            p.offset = tail.nextOffset();
            for (Manifest.Entry e : tail.entries()) {
                if (e.kind() == Manifest.Kind.SEALED && !p.segments.containsKey(e.segmentId())) {
                    long n = attach(p.segments, e.backend(), Layout.writer(root(e.backend()), id), e.segmentId());
                    if (n >= 0) {
                        added++;
                        entries += n;
                    }
                } else if (e.kind() == Manifest.Kind.EVICTED && p.segments.containsKey(e.segmentId())) {
                    SharedAccess.drop(store, e.segmentId(), p.segments.remove(e.segmentId()));
                    dropped++;
                }
            }
            // Segments this store's own GC (as GC owner) evicted are no longer in the catalog.
            p.segments.keySet().removeIf(s -> !SharedAccess.holds(store, s));
        }
        for (var it = peers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!listed.contains(e.getKey())) {
                for (var s : e.getValue().segments.entrySet()) {
                    SharedAccess.drop(store, s.getKey(), s.getValue());
                    dropped++;
                }
                it.remove();
            }
        }
        int[] z = writerZero();
        return new Refreshed(listed.size(), added + z[0], entries, dropped + z[1], System.nanoTime() - t0);
    }

    private Path root(int ordinal) {
        return roots.get(Math.min(ordinal, roots.size() - 1));
    }

    /** Step 4: returns {added, dropped}. */
    private int[] writerZero() throws IOException {
        int added = 0;
        int dropped = 0;
        Set<Long> seen = new HashSet<>();
        for (int b = 0; b < roots.size(); b++) {
            for (String name : Layout.list(roots.get(b))) {
                var p = SegmentPath.parse(name);
                if (p.isPresent() && p.get().state() == SegmentPath.State.SEALED && Layout.numberOf(p.get().segmentId()) == 0) {
                    seen.add(p.get().segmentId());
                    if (!writerZero.containsKey(p.get().segmentId()) && attach(writerZero, b, roots.get(b), p.get().segmentId()) >= 0) {
                        added++;
                    }
                }
            }
        }
        for (var it = writerZero.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!seen.contains(e.getKey())) {
                SharedAccess.drop(store, e.getKey(), e.getValue());
                it.remove();
                dropped++;
            }
        }
        return new int[] {added, dropped};
    }

    /** Step 2 for one sealed segment: entries added, or -1 when it is gone or unreadable. */
    private long attach(Map<Long, List<RecordKey>> into, int backend, Path dir, long id) throws IOException {
        FileIO io = ios.get(Math.min(backend, ios.size() - 1));
        Path file = new SegmentPath(id, SegmentPath.State.SEALED).in(dir);
        List<SegmentFooter.Entry> live = new ArrayList<>();
        List<RecordKey> keys = new ArrayList<>();
        try (SegmentReader reader = SegmentReader.open(io, file, id)) {
            SegmentFooter footer = reader.readFooter();
            for (SegmentFooter.Entry e : footer.entries()) {
                keys.add(e.key());
            }
            for (SegmentFooter.Entry e : footer.liveEntries()) {
                live.add(new SegmentFooter.Entry(e.key(), e.location().withFlags(e.location().flags() & ~RecordFlags.NOT_LIVE)));
            }
        } catch (NoSuchFileException e) {
            return -1; // evicted before we looked: its "evicted" record follows
        } catch (CorruptRecordException e) {
            LOG.warn("segment {} in {}: footer unreadable ({}); not ingested", id, dir, e.getMessage());
            into.put(id, List.of());
            return -1;
        }
        into.put(id, keys);
        return SharedAccess.attach(store, id, dir, io, live);
    }
}
