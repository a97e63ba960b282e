package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CommitLog;
import io.spillway.segments.RecordKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a rewrite of the {@link CommitLog} keeps: the store's compaction at open and while open,
 * and {@code fsck --repair} of a damaged log, keep the same entries.
 */
public final class CommitLogCompaction {

    private CommitLogCompaction() {
    }

    /**
     * The newest logged location of each key in {@code log}, where {@code index} still points
     * exactly there: a later delete, eviction or relocation makes an entry useless. Every entry
     * kept is in the index already, so a rewrite at the highest sequence number is applied by
     * none of an intact index and all of a lost one.
     */
    public static List<CommitLog.Entry> stillIndexed(CommitLog.Contents log, BlockIndex index) throws IOException {
        Map<RecordKey, BlockLocation> newest = new LinkedHashMap<>();
        for (CommitLog.Record r : log.records()) {
            for (CommitLog.Entry e : r.entries()) {
                newest.put(e.key(), e.location());
            }
        }
        List<RecordKey> keys = List.copyOf(newest.keySet());
        List<BlockLocation> current = index.getAll(keys);
        List<CommitLog.Entry> keep = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            BlockLocation cur = current.get(i);
            BlockLocation logged = newest.get(keys.get(i));
            if (cur != null && cur.segmentId() == logged.segmentId() && cur.payloadOffset() == logged.payloadOffset()) {
                keep.add(new CommitLog.Entry(keys.get(i), logged));
            }
        }
        return keep;
    }
}
