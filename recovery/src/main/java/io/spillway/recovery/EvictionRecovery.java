package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GC's half of startup recovery ({@link GcRecovery}): finishes evictions that a crash
 * interrupted.
 *
 * <p>The GC evicts a segment in steps (see {@code GarbageCollector}): copy forward what it keeps
 * and point the index at the copies; rename {@code seg-S.seg} to {@code seg-S.deleted}; remove the
 * index entries still pointing into S; wait for loads in flight; delete the file. The rename is
 * the commit point. Before it, nothing needs doing (the copies are either indexed or dead
 * bytes). After it, recovery rolls forward, for every {@code .deleted} file:
 * <ol>
 *   <li>read its footer for the keys it held (if the footer is unreadable, scan the index for
 *       entries pointing into S instead);
 *   <li>remove, in one synced batch, the entries that still point into S (those moved elsewhere
 *       meanwhile stay), and S's accounting;
 *   <li>delete the file and fsync the directory.
 * </ol>
 * Each step is idempotent, so a crash during recovery is handled by running it again.
 */
public final class EvictionRecovery implements GcRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(EvictionRecovery.class);

    @Override
    public void finishOrRollBack(List<StoreRecovery.Directory> dirs, BlockIndex index) throws IOException {
        for (StoreRecovery.Directory d : dirs) {
            for (String name : d.io().list(d.dir())) {
                var parsed = SegmentPath.parse(name);
                if (parsed.isPresent() && parsed.get().state() == SegmentPath.State.DELETING
                        && d.io().isRegularFile(d.dir().resolve(name))) { // anything else is no segment: left for fsck
                    finish(d, parsed.get().segmentId(), index);
                }
            }
        }
    }

    private static void finish(StoreRecovery.Directory d, long id, BlockIndex index) throws IOException {
        var file = new SegmentPath(id, SegmentPath.State.DELETING).in(d.dir());
        // Step 1.
        List<RecordKey> keys = new ArrayList<>();
        try (SegmentReader r = SegmentReader.open(d.io(), file, id)) {
            for (SegmentFooter.Entry e : r.readFooter().entries()) {
                keys.add(e.key());
            }
        } catch (IOException unreadable) {
            index.forEach((k, loc) -> {
                if (loc != null && loc.segmentId() == id) {
                    keys.add(k);
                }
                return true;
            });
        }
        // Step 2.
        int removed = 0;
        List<BlockLocation> current = index.getAll(keys);
        try (BlockIndex.Batch batch = index.batch()) {
            for (int i = 0; i < keys.size(); i++) {
                BlockLocation c = current.get(i);
                if (c != null && c.segmentId() == id) {
                    batch.remove(keys.get(i), c);
                    removed++;
                }
            }
            index.write(batch, true);
        }
        index.forgetSegment(id);
        // Step 3.
        d.io().delete(file);
        d.io().syncDirectory(d.dir());
        LOG.info("finished the interrupted eviction of segment {} ({} index entries removed)", id, removed);
    }
}
