package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.policy.FifoPolicy;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.FileIO;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentCatalogTest {

    @TempDir
    Path dir;

    /**
     * Sealing renames the file before the catalog learns the new state: a first load in between
     * must open the sealed file (it failed with ENOENT on the {@code .open} name, an IO_ERROR load).
     */
    @Test
    void aSegmentSealedBeforeItsStateChangedIsOpenedByItsSealedName() throws Exception {
        FileIO io = new ChannelFileIO(4096);
        try (Arena arena = Arena.ofConfined()) {
            SegmentWriter w = SegmentWriter.create(io, dir, 1, 1 << 20, 4096, arena.allocate(1 << 20, 4096));
            w.seal(new boolean[0]);
        }
        assertTrue(Files.exists(new SegmentPath(1, SegmentPath.State.SEALED).in(dir)));
        try (SegmentCatalog catalog = new SegmentCatalog(new FifoPolicy<>())) {
            catalog.add(1, new Backend(0, dir, io, null), SegmentPath.State.OPEN); // the state not yet updated
            assertEquals(1, catalog.get(1).reader().segmentId());
        }
    }
}
