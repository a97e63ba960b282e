package io.spillway.cli;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.GcReport;
import io.spillway.engine.config.ByteSize;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway gc DIR [--until-bytes N]}: runs one GC pass on a store now (TTL, compaction,
 * then eviction down to the low watermark, or down to N bytes) and prints what it did.
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Runs a GC pass on the store in DIR: expired and sparse segments, then eviction down to the low "
                + "watermark (or to --until-bytes).")
final class GcCommand extends CliCommand {

    @Mixin
    StoreArguments store;

    @Option(names = "--until-bytes", paramLabel = "SIZE", converter = Units.ByteSizeConverter.class,
            description = "Evict, oldest (or coldest) first, until the segments occupy at most SIZE, e.g. 10GiB.")
    ByteSize untilBytes;

    @Override
    public Integer call() throws IOException {
        GcReport r;
        try (SegmentStore s = SegmentStore.open(store.existingStore())) {
            r = s.gc(untilBytes == null ? -1 : untilBytes.bytes());
        }
        PrintWriter out = out();
        out.printf(Locale.ROOT, "space used: %s -> %s%n", Units.bytes(r.usedBefore()), Units.bytes(r.usedAfter()));
        out.printf(Locale.ROOT, "evicted %d segments (%d blocks, %s dropped); reinserted %d hot blocks%n", r.evictedSegments(),
                r.evictedBlocks(), Units.bytes(r.evictedBytes()), r.reinsertedBlocks());
        out.printf(Locale.ROOT, "compacted %d segments (%d blocks copied); expired %d blocks; GC wrote %s in %s%n",
                r.compactedSegments(), r.copiedBlocks(), r.expiredBlocks(), Units.bytes(r.gcBytesWritten()),
                Units.seconds(r.elapsed()));
        out.flush();
        return 0;
    }
}
