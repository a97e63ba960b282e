package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcLatencyBenchmarkTest {

    @TempDir
    Path dir;

    /** The "during GC" loads overlap a compaction that copies, not an idle store (as they did until 2026-12-07). */
    @Test
    void theLoadsDuringGcSpanACompactionThatCopiesTheKeptBlocks() throws Exception {
        // 96 blocks of 256 KiB in 4 MiB segments: about six sealed segments, each a third live after the deletes.
        StoreConfig.Builder base = StoreConfig.builder().segmentSize(ByteSize.ofMiB(4)).writeGroupSize(ByteSize.ofMiB(1))
                .streamNumber(1);
        GcLatencyBenchmark.Result r = GcLatencyBenchmark.run(dir, base, 96, 256 << 10);
        assertTrue(r.gc().compactedSegments() >= 4, r.toString());
        assertTrue(r.gc().copiedBlocks() > 0 && r.gc().bytesWritten() >= r.gc().copiedBlocks() * (256L << 10), r.toString());
        assertTrue(r.loadsDuringGc() >= 50 && r.p99Idle() > 0 && r.p99Gc() > 0, r.toString());
    }
}
