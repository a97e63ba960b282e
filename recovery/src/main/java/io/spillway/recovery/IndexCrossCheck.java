package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Steps 4 and 5 of {@link Fsck}: the index against the segments (as the repairs of steps 2 and 3
 * leave them), both ways.
 * <ol>
 *   <li>Every index entry must point at a record of a segment on disk, with the same key, length
 *       and CRC; else it is dangling (repair removes it). Entries into a segment that is not on
 *       disk, or not readable as one (moved aside), are reported per segment (repair removes
 *       them and the segment's accounting). An entry at a record whose payload failed its CRC
 *       ({@code deep}) goes too: its bytes are lost.
 *   <li>Every live footer entry of a segment the index does not know as sealed must be indexed
 *       (repair adds it and marks the segment sealed, as recovery does). Segments go newest
 *       first, and a key is taken from the newest segment that has it live. In a segment the
 *       index knows as sealed, a live footer entry without an index entry was deleted after
 *       sealing: a notice, not a problem.
 * </ol>
 * Repair writes every change in one synced batch.
 */
final class IndexCrossCheck {

    private final FsckContext ctx;
    private final BlockIndex index;
    private final Set<Long> listed;
    private final Map<Long, SealedSegmentCheck.Checked> segs;
    private final Map<RecordKey, BlockLocation> remove = new HashMap<>();
    private final Map<RecordKey, BlockLocation> add = new LinkedHashMap<>();
    private final Map<Long, Integer> missing = new TreeMap<>();
    private final Map<Long, Integer> unreadable = new TreeMap<>();
    private final Map<Long, List<Dangling>> dangling = new TreeMap<>();

    /** An index entry at an offset of its segment where there is no record ({@code none}) or another one. */
    private record Dangling(RecordKey key, long offset, boolean none) {
        @Override
        public String toString() {
            return key + " at offset " + offset + " (" + (none ? "no record" : "another record") + " there)";
        }
    }
    private final Set<RecordKey> corruptIndexed = new HashSet<>();
    private final List<Long> markSealed = new ArrayList<>();

    private IndexCrossCheck(FsckContext ctx, Set<Long> listed, Map<Long, SealedSegmentCheck.Checked> segs) {
        this.ctx = ctx;
        this.index = ctx.index();
        this.listed = listed;
        this.segs = segs;
    }

    /**
     * Runs both steps.
     *
     * @param listed the ids of every segment on disk, readable or not
     * @param segs the segments checked, by id (a segment on disk that is missing here could not be read as one)
     */
    static void run(FsckContext ctx, Set<Long> listed, Map<Long, SealedSegmentCheck.Checked> segs) throws IOException {
        IndexCrossCheck c = new IndexCrossCheck(ctx, listed, segs);
        c.entries();
        c.report();
        c.unindexed();
        if (ctx.repair()) {
            c.write();
        }
    }

    /** Step 4. */
    private void entries() throws IOException {
        index.forEach((key, loc) -> {
            ctx.findings().indexEntries++;
            if (loc == null) {
                ctx.findings().problem(Fsck.Kind.DANGLING_ENTRY, key.toString(), "unreadable index value", false);
                return true;
            }
            SealedSegmentCheck.Checked s = segs.get(loc.segmentId());
            if (s == null) {
                (listed.contains(loc.segmentId()) ? unreadable : missing).merge(loc.segmentId(), 1, Integer::sum);
                remove.put(key, loc);
                return true;
            }
            SegmentFooter.Entry e = s.byOffset().get(loc.payloadOffset());
            if (e == null || !e.key().equals(key) || e.location().storedLength() != loc.storedLength()
                    || e.location().payloadCrc() != loc.payloadCrc()) {
                dangling.computeIfAbsent(loc.segmentId(), x -> new ArrayList<>()).add(new Dangling(key, loc.payloadOffset(), e == null));
                remove.put(key, loc);
            } else if (s.corrupt().containsKey(loc.payloadOffset())) {
                remove.put(key, loc);
                corruptIndexed.add(key);
            }
            return true;
        });
    }

    /** Step 4's per-segment reports: one problem per dangling entry, or one per segment where there are several. */
    private void report() {
        dangling.forEach((id, entries) -> {
            if (entries.size() == 1) {
                Dangling d = entries.getFirst();
                ctx.findings().problem(Fsck.Kind.DANGLING_ENTRY, d.key().toString(), "points at segment " + id + " offset " + d.offset()
                        + ", where there is " + (d.none() ? "no record" : "another record"), ctx.repair());
            } else {
                ctx.findings().problem(Fsck.Kind.DANGLING_ENTRY, "segment " + id, entries.size() + " index entries point where the"
                        + " segment has no such record: " + (entries.size() <= 3 ? entries : entries.subList(0, 3) + " ..."), ctx.repair());
            }
        });
        missing.forEach((id, n) -> ctx.findings().problem(Fsck.Kind.MISSING_SEGMENT, new SegmentPath(id, SegmentPath.State.SEALED)
                .fileName(), n + " index entries point into this segment, which does not exist", ctx.repair()));
        unreadable.forEach((id, n) -> ctx.findings().problem(Fsck.Kind.MISSING_SEGMENT, "segment " + id, n
                + " index entries point into this segment, which cannot be read as one (see above)", ctx.repair()));
        for (SealedSegmentCheck.Checked s : segs.values()) {
            for (var c : s.corrupt().entrySet()) {
                SegmentFooter.Entry e = c.getValue();
                if (corruptIndexed.contains(e.key()) && remove.get(e.key()).payloadOffset() == c.getKey()) {
                    ctx.findings().problem(Fsck.Kind.CORRUPT_PAYLOAD, "segment " + s.id() + " offset " + c.getKey(),
                            "payload CRC mismatch for indexed key " + e.key() + " (repair unindexes it; its bytes are lost)",
                            ctx.repair());
                } else {
                    ctx.findings().notice("segment " + s.id() + " offset " + c.getKey() + ": payload CRC mismatch in a record"
                            + " no index entry points at (dead space)");
                }
            }
        }
    }

    /** Step 5. */
    private void unindexed() throws IOException {
        long deletedSinceSeal = 0;
        List<SealedSegmentCheck.Checked> newestFirst = new ArrayList<>(segs.values());
        newestFirst.sort(Comparator.comparingLong(SealedSegmentCheck.Checked::id).reversed());
        for (SealedSegmentCheck.Checked s : newestFirst) {
            if (s.footer() == null) {
                continue; // an unsealed segment left as it is: an open recovers it
            }
            List<SegmentFooter.Entry> live = s.footer().liveEntries();
            List<BlockLocation> current = index.getAll(live.stream().map(SegmentFooter.Entry::key).toList());
            boolean known = ctx.indexKnowsSealed(s.id());
            int unindexedHere = 0;
            for (int i = 0; i < live.size(); i++) {
                RecordKey key = live.get(i).key();
                if (current.get(i) != null || remove.containsKey(key)) {
                    continue;
                }
                if (known) {
                    deletedSinceSeal++;
                } else if (!add.containsKey(key)) { // a newer segment's copy wins
                    unindexedHere++;
                    BlockLocation l = live.get(i).location();
                    add.put(key, l.withFlags(l.flags() & ~RecordFlags.NOT_LIVE));
                }
            }
            if (!index.knownSealed(s.id())) {
                markSealed.add(s.id());
            }
            if (unindexedHere > 0) {
                ctx.findings().problem(Fsck.Kind.UNINDEXED_RECORD, s.file().getFileName().toString(), unindexedHere
                        + " live records are not indexed (the index lost or predates them)", ctx.repair());
            }
        }
        if (deletedSinceSeal > 0) {
            ctx.findings().notice(deletedSinceSeal + " records live at sealing were deleted since (dead space for the GC)");
        }
    }

    private void write() throws IOException {
        try (BlockIndex.Batch b = index.batch()) {
            for (var e : remove.entrySet()) {
                b.remove(e.getKey(), e.getValue());
            }
            for (var e : add.entrySet()) {
                b.put(e.getKey(), e.getValue());
            }
            for (long id : markSealed) {
                b.sealed(id);
            }
            index.write(b, true);
        }
        for (long id : missing.keySet()) {
            index.forgetSegment(id);
        }
        for (long id : unreadable.keySet()) {
            index.forgetSegment(id);
        }
    }
}
