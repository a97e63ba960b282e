package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentWriter;
import java.util.List;

/** What an append worker hands its syncer: a group written but not yet synced or published, or a segment it is done with. */
sealed interface WrittenGroup {

    /** A group whose write returned: its blocks are RELEASED. */
    record Group(SegmentWriter segment, List<BlockWrite> blocks, List<BlockLocation> locations) implements WrittenGroup {
    }

    /** The appender will not touch this segment again: seal it, or leave a failed one to recovery. */
    record Retire(SegmentWriter segment) implements WrittenGroup {
    }

    /** The appender has stopped; nothing follows. */
    record Stop() implements WrittenGroup {
    }
}
