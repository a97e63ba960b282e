package io.spillway.engine.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ForwardingFileIO;
import io.spillway.segments.io.ForwardingStoreFile;
import io.spillway.segments.io.StoreFile;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery at scale, simulated on a local directory: {@code spillway.scale.writers} writers
 * (default 1,000) each with {@code spillway.scale.segments} sealed segments (default 20; the
 * figures in docs/shared-store.md are from 100) of {@code spillway.scale.records} records each,
 * written as real segments (headers, groups, footers with CRCs) and manifests. A fresh read-only
 * opener then ingests them all; the test prints the full refresh time, the ingest rate, a
 * steady-state refresh, and the local index's size, and checks that every record was indexed.
 */
class SharedScaleSimulationTest {

    private static final int WRITERS = Integer.getInteger("spillway.scale.writers", 1000);
    private static final int SEGMENTS = Integer.getInteger("spillway.scale.segments", 20);
    private static final int RECORDS = Integer.getInteger("spillway.scale.records", 4);
    private static final int ALIGNMENT = 4096;

    @TempDir
    Path tmp;

    @Test
    void aReaderIngestsEveryWritersSegments() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Layout.checkFormat(store);
        long t0 = System.nanoTime();
        FileIO io = new NoSync(new ChannelFileIO(ALIGNMENT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(1 << 20, ALIGNMENT);
            MemorySegment payload = arena.allocate(ALIGNMENT, ALIGNMENT);
            for (int w = 1; w <= WRITERS; w++) {
                Path dir = Files.createDirectories(Layout.writer(store, String.format("w%04d", w)));
                Files.writeString(dir.resolve("NUMBER"), w + "\n");
                Files.writeString(dir.resolve("lease"), "1\n");
                List<Manifest.Entry> manifest = new ArrayList<>();
                for (int s = 0; s < SEGMENTS; s++) {
                    long id = ((long) w << Layout.ID_BITS) | s;
                    try (SegmentWriter sw = SegmentWriter.create(io, dir, id, 64L * ALIGNMENT, ALIGNMENT, staging)) {
                        List<RecordSource> records = new ArrayList<>();
                        for (int r = 0; r < RECORDS; r++) {
                            var key = SharedChildMain.key("scale-" + w, s * RECORDS + r);
                            Payloads.fill(payload, key);
                            records.add(new RecordSource(key, List.of(payload), Codec.NONE, ALIGNMENT, RecordFlags.AUTO_COMMIT, 0));
                        }
                        sw.append(records, () -> { });
                        boolean[] live = new boolean[RECORDS];
                        Arrays.fill(live, true);
                        sw.seal(live);
                    }
                    manifest.add(new Manifest.Entry(Manifest.Kind.SEALED, 0, id));
                }
                Manifest.append(dir, manifest);
            }
        }
        double generateS = (System.nanoTime() - t0) / 1e9;
        StoreConfig c = StoreConfig.builder().storageBackend(store).indexPath(tmp.resolve("reader").resolve("index"))
                .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).streamNumber(1).build();
        long t1 = System.nanoTime();
        long indexBytes;
        String line;
        try (SharedStore reader = SharedStore.openReadOnly(c, new SimpleMeterRegistry())) {
            double fullMs = (System.nanoTime() - t1) / 1e6;
            Maintenance.Figures f = reader.figures();
            assertEquals((long) WRITERS * SEGMENTS, f.segmentsIngested());
            assertEquals((long) WRITERS * SEGMENTS * RECORDS, f.entriesIngested());
            long t2 = System.nanoTime();
            reader.refreshNow();
            double steadyMs = (System.nanoTime() - t2) / 1e6;
            assertEquals(WRITERS, reader.figures().peers());
            line = String.format("scale simulation: %d writers x %d segments x %d records (generated in %.1f s): full ingest"
                            + " by a fresh reader %.0f ms (%.0f segments/s, %.0f entries/s), steady refresh %.1f ms",
                    WRITERS, SEGMENTS, RECORDS, generateS, fullMs, WRITERS * SEGMENTS / (fullMs / 1000),
                    (double) WRITERS * SEGMENTS * RECORDS / (fullMs / 1000), steadyMs);
        }
        indexBytes = size(tmp.resolve("reader").resolve("index"));
        line += String.format(", index %.1f MiB (%.0f bytes per entry)%n", indexBytes / 1048576.0,
                (double) indexBytes / ((long) WRITERS * SEGMENTS * RECORDS));
        System.out.print(line);
        Files.writeString(Path.of("target", "shared-scale-simulation.txt"), line);
        assertTrue(indexBytes > 0);
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Generation only: the simulated writers' files need not be durable. */
    private static final class NoSync extends ForwardingFileIO {
        NoSync(FileIO delegate) {
            super(delegate);
        }

        @Override
        protected StoreFile wrap(Path file, StoreFile opened) {
            return new ForwardingStoreFile(opened) {
                @Override
                public void sync() {
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) {
        }
    }
}
