package io.spillway.engine.shared;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.SharedAccess;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
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
 * Keeps this writer's {@link Manifest} in step with its own segments, each refresh:
 * <ol>
 *   <li>List its own directories (one readdir per backend).
 *   <li>A segment sealed in the catalog and on disk that the manifest lacks: append "sealed".
 *   <li>A segment the manifest lists as sealed that is no longer on disk as sealed, whoever
 *       removed it (the GC owner, from another process, evicts by renaming it to {@code
 *       .deleted}): drop its index entries here (its disappearance is an eviction) and append
 *       "evicted".
 * </ol>
 * At open, a torn last append is cut off first ({@link Manifest#repairTail}).
 */
final class OwnManifest {

    private static final Logger LOG = LoggerFactory.getLogger(OwnManifest.class);

    private final SegmentStore store;
    private final Path manifestDir;
    private final Set<Long> listed = new HashSet<>();

    OwnManifest(SegmentStore store) throws IOException {
        this.store = store;
        this.manifestDir = SharedAccess.backendDir(store, 0);
        for (Manifest.Entry e : Manifest.repairTail(manifestDir)) {
            if (e.kind() == Manifest.Kind.SEALED) {
                listed.add(e.segmentId());
            } else {
                listed.remove(e.segmentId());
            }
        }
    }

    /** Steps 1 to 3; returns how many records it appended. */
    int refresh() throws IOException {
        Set<Long> onDisk = new HashSet<>();
        int n = SharedAccess.backendCount(store);
        Map<Long, Integer> where = new HashMap<>();
        for (int b = 0; b < n; b++) {
            for (String name : Layout.list(SharedAccess.backendDir(store, b))) {
                var p = SegmentPath.parse(name);
                if (p.isPresent() && p.get().state() == SegmentPath.State.SEALED) {
                    onDisk.add(p.get().segmentId());
                    where.put(p.get().segmentId(), b);
                }
            }
        }
        List<Manifest.Entry> append = new ArrayList<>();
        for (long id : SharedAccess.ownSealed(store)) {
            if (!listed.contains(id) && onDisk.contains(id)) {
                append.add(new Manifest.Entry(Manifest.Kind.SEALED, where.get(id), id));
            }
        }
        for (long id : List.copyOf(listed)) {
            if (!onDisk.contains(id)) {
                if (SharedAccess.holds(store, id)) {
                    List<RecordKey> keys = footerKeys(id);
                    long removed = SharedAccess.drop(store, id, keys);
                    LOG.info("own segment {} was evicted by the GC owner: {} index entries dropped", id, removed);
                }
                append.add(new Manifest.Entry(Manifest.Kind.EVICTED, 0, id));
            }
        }
        Manifest.append(manifestDir, append);
        for (Manifest.Entry e : append) {
            if (e.kind() == Manifest.Kind.SEALED) {
                listed.add(e.segmentId());
            } else {
                listed.remove(e.segmentId());
            }
        }
        return append.size();
    }

    /**
     * After the segment store closed (which sealed the active segments): appends "sealed" for every
     * sealed segment on disk the manifest lacks, so peers see the last ones without waiting for
     * this writer's next open. Lists the directories only; the store is no longer touched.
     */
    void afterClose(List<Path> dirs) throws IOException {
        List<Manifest.Entry> append = new ArrayList<>();
        for (int b = 0; b < dirs.size(); b++) {
            for (String name : Layout.list(dirs.get(b))) {
                var p = SegmentPath.parse(name);
                if (p.isPresent() && p.get().state() == SegmentPath.State.SEALED && !listed.contains(p.get().segmentId())) {
                    append.add(new Manifest.Entry(Manifest.Kind.SEALED, b, p.get().segmentId()));
                }
            }
        }
        Manifest.append(manifestDir, append);
        append.forEach(e -> listed.add(e.segmentId()));
    }

    private List<RecordKey> footerKeys(long id) {
        try {
            return SharedAccess.footerKeys(store, id);
        } catch (IOException e) {
            return null; // never opened here and now gone: found by a pass over the index
        }
    }
}
