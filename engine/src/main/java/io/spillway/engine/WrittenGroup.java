package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentWriter;
import java.util.List;
import java.util.Map;

/**
 * What an append worker's stages hand on: the appender hands its syncer a group written but not
 * yet synced, or a segment it is done with; the syncer hands its publisher the groups it synced
 * (and forwards retirements and the stop, in order).
 */
sealed interface WrittenGroup {

    /** A group whose write returned: its blocks are RELEASED. */
    record Group(SegmentWriter segment, List<BlockWrite> blocks, List<BlockLocation> locations) implements WrittenGroup {
    }

    /** The appender will not touch this segment again: seal it, or leave a failed one to recovery. */
    record Retire(SegmentWriter segment) implements WrittenGroup {
    }

    /**
     * Groups after their segments' fdatasync: those of a segment in {@code failedSyncs} (with
     * why) are to be failed, the others published.
     */
    record Synced(List<Group> groups, Map<SegmentWriter, String> failedSyncs) implements WrittenGroup {
    }

    /** The appender has stopped; nothing follows. */
    record Stop() implements WrittenGroup {
    }
}
