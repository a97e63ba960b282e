package io.spillway.engine;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** One block of a dump task, queued to an append worker. */
record BlockWrite(TaskImpl task, int block, InFlight token, List<MemorySegment> pieces, int rawLength) {
}
