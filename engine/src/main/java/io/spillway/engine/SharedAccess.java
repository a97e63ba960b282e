package io.spillway.engine;

import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * The few internals of a {@link SegmentStore} that {@code io.spillway.engine.shared} (many writers
 * over one shared file system) needs, in one place, so the store's own classes stay as they are:
 * attaching another writer's sealed segment, indexing its footer, dropping a segment that
 * vanished, and gating the GC. Not for other callers.
 */
public final class SharedAccess {

    private SharedAccess() {
    }

    /** The directory and IO of the store's backend {@code ordinal} (this writer's own directory there). */
    public static Path backendDir(SegmentStore store, int ordinal) {
        return backend(store, ordinal).dir();
    }

    public static FileIO backendIo(SegmentStore store, int ordinal) {
        return backend(store, ordinal).io();
    }

    public static int backendCount(SegmentStore store) {
        return store.opened().backends().size();
    }

    private static Backend backend(SegmentStore store, int ordinal) {
        return store.opened().backends().get(ordinal);
    }

    /**
     * Adds another writer's sealed segment {@code seg-<id>.seg} in {@code dir} to the catalog (so
     * loads find it), then indexes {@code entries} where the index lacks their key or points into
     * a segment that is gone (see {@code Publisher.ingest}). Nothing if the id is known already.
     *
     * @return how many entries were added
     */
    public static int attach(SegmentStore store, long id, Path dir, FileIO io, List<SegmentFooter.Entry> entries)
            throws IOException {
        SegmentCatalog catalog = store.context().catalog();
        if (catalog.get(id) != null) {
            return 0;
        }
        catalog.add(id, new Backend(-1, dir, io, null), SegmentPath.State.SEALED);
        return store.context().publisher().ingest(entries, i -> catalog.get(i) != null);
    }

    /** The ids of the segments the catalog holds now. */
    public static Set<Long> segmentIds(SegmentStore store) {
        return store.context().catalog().ids();
    }

    /** Whether the catalog holds segment {@code id}. */
    public static boolean holds(SegmentStore store, long id) {
        return store.context().catalog().get(id) != null;
    }

    /**
     * Forgets segment {@code id}, whose file vanished (evicted by the GC owner, or its writer's
     * directory removed): removes the index entries of {@code keys} that still point into it,
     * its accounting and its catalog entry. Loads already holding its reader finish on their
     * descriptor; new ones report the block missing.
     *
     * @param keys the keys its footer lists, or null to find them by a pass over the index
     * @return how many index entries were removed
     */
    public static long drop(SegmentStore store, long id, List<RecordKey> keys) throws IOException {
        StoreContext ctx = store.context();
        if (keys == null) {
            // Keys unknown (the footer can no longer be read): one pass over the index.
            List<RecordKey> found = new ArrayList<>();
            ctx.index().forEach((key, loc) -> {
                if (loc != null && loc.segmentId() == id) {
                    found.add(key);
                }
                return true;
            });
            keys = found;
        }
        long removed = ctx.publisher().removeIn(keys, id).entries();
        ctx.index().forgetSegment(id);
        ctx.catalog().remove(id);
        return removed;
    }

    /** The ids of this writer's own segments in the catalog that are sealed (not open, not being evicted). */
    public static List<Long> ownSealed(SegmentStore store) {
        List<Long> out = new ArrayList<>();
        for (SegmentCatalog.Entry e : store.context().catalog().entries()) {
            if (e.backend.lock() != null && e.state == SegmentPath.State.SEALED) {
                out.add(e.id);
            }
        }
        return out;
    }

    /** The keys of a segment's footer, read through the catalog's reader (open descriptors survive a rename or unlink). */
    public static List<RecordKey> footerKeys(SegmentStore store, long id) throws IOException {
        return store.context().catalog().reader(id).readFooter().entries().stream().map(SegmentFooter.Entry::key).toList();
    }

    /** Which segments the store's GC may evict or compact; see {@code SegmentCatalog}. */
    public static void gcGate(SegmentStore store, LongPredicate gate) {
        store.context().catalog().gcGate(gate);
    }

    /** Sets who admits the store's new segments (a shared store's space tickets). */
    public static void admission(SegmentStore store, SegmentAdmission admission) {
        store.context().catalog().admission(admission);
    }

    /** A floor under the segment bytes the store counts (a shared GC owner's space tickets; see {@code SpaceUsage#dataFloor}). */
    public static void dataFloor(SegmentStore store, LongSupplier bytes) {
        store.context().space().dataFloor(bytes);
    }

    /** The store's resolved capacity in bytes ({@link Long#MAX_VALUE} when unlimited). */
    public static long capacityBytes(SegmentStore store) {
        return store.context().capacityBytes();
    }

    /** The store's data bytes as its GC counts them (every segment it knows, other writers' included). */
    public static long dataBytes(SegmentStore store) {
        return store.context().catalog().dataBytes();
    }

    /** Raises the segment id sequence to at least {@code floor} (a shared writer's ids start at its number's range). */
    public static void idFloor(SegmentStore store, long floor) throws IOException {
        store.context().segmentIds().raiseTo(floor);
    }
}
