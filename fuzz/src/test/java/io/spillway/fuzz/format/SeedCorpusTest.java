package io.spillway.fuzz.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.spillway.engine.config.ConfigLoader;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpus of the fuzz targets: valid records, headers, a sealed segment,
 * configs and model-run inputs, under {@code src/test/resources/io/spillway/fuzz/<pkg>/<Class>Inputs/<method>/}.
 *
 * <p>This test checks that the committed format seeds are still valid (they decode with no error),
 * so the fuzzer keeps starting past the checksums as the format evolves; and it regenerates them
 * with {@code -Dspillway.fuzz.writeSeeds=true} after a format change:
 * {@code mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=SeedCorpusTest -Dspillway.fuzz.writeSeeds=true}.
 */
class SeedCorpusTest {

    private static final Path RESOURCES = Path.of("src/test/resources/io/spillway/fuzz");

    /** The seeds, by path under {@link #RESOURCES}. */
    static Map<String, byte[]> seeds() {
        byte[] img = FormatFuzzTest.ValidSegment.IMAGE;
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("format/FormatFuzzTestInputs/headers/valid-segment-header", headers(0, 0, img.length, img, 0, 512));
        m.put("format/FormatFuzzTestInputs/headers/valid-group-header", headers(1, 512, img.length, img, 512, 1024));
        m.put("format/FormatFuzzTestInputs/headers/valid-record-header", headers(2, 512 + GroupHeader.BYTES, 512 + 2048, img,
                512 + GroupHeader.BYTES, 512 + GroupHeader.BYTES + RecordHeader.BYTES));
        m.put("format/FormatFuzzTestInputs/headers/valid-group-header-block", headers(3, 512, img.length, img, 512, 1024));
        byte[] whole = new byte[img.length + 1];
        System.arraycopy(img, 0, whole, 1, img.length);
        m.put("format/FormatFuzzTestInputs/segmentFile/valid-sealed-segment", whole);
        m.put("format/FormatFuzzTestInputs/segmentFile/valid-segment-unpatched", new byte[] {1});
        m.put("format/FormatFuzzTestInputs/segmentFile/torn-tail", new byte[] {1, (byte) 0x00, (byte) 0x0b, 0x0f});
        m.put("format/ConfigFuzzTestInputs/yamlAndEnvironment/valid-minimal.yaml",
                "storage_backends: [/var/tmp/spillway]\n".getBytes());
        m.put("format/ConfigFuzzTestInputs/yamlAndEnvironment/valid-full.yaml", ("""
                storage_backends: [/var/tmp/spillway-a, /var/tmp/spillway-b]
                index_path: /var/tmp/spillway-index
                kv_block_size: 2MiB
                alignment: 4096
                io_direct: true
                stream_number: 4
                waiting_queue_depth: 1024
                running_queue_depth: 64
                timeout_ms: 30000
                write_group_size: 16MiB
                capacity: 80%
                segment_size: 1GiB
                durability: batch
                compression: lz4
                auto_commit: true
                index_cache_size: 256MiB
                store_pipeline: Cache|Disk
                buffer_size: 64MiB
                cache_path: /dev/shm/spillway-fuzz-cache
                """).getBytes());
        m.put("format/ConfigFuzzTestInputs/yamlAndEnvironment/valid-with-environment",
                "storage_backends: [/var/tmp/spillway]\n\0segment_size=256MiB\ndurability=always\n".getBytes());
        for (int i = 0; i < 3; i++) {
            byte[] b = new byte[400];
            new SplittableRandom(1000 + i).nextBytes(b);
            m.put("model/ModelFuzzTestInputs/storeOperations/seed-" + i, b);
        }
        return m;
    }

    private static byte[] headers(int which, long fileOffset, long fileLimit, byte[] img, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate(FormatFuzzTest.HEADERS_PREFIX + to - from).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) which).put((byte) 0).putLong(fileOffset).putLong(fileLimit).putLong(FormatFuzzTest.ValidSegment.ID);
        b.put(img, from, to - from);
        return b.array();
    }

    @Test
    void committedSeedsAreValid() throws Exception {
        if (Boolean.getBoolean("spillway.fuzz.writeSeeds")) {
            for (Map.Entry<String, byte[]> e : seeds().entrySet()) {
                Path p = RESOURCES.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, e.getValue());
            }
        }
        int checked = 0;
        // Valid means: decodes with no error and yields the structure, not just "no unexpected exception".
        for (String name : new String[] {"valid-segment-header", "valid-group-header", "valid-record-header", "valid-group-header-block"}) {
            byte[] in = Files.readAllBytes(RESOURCES.resolve("format/FormatFuzzTestInputs/headers/" + name));
            ByteBuffer p = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer buf = ByteBuffer.wrap(in, FormatFuzzTest.HEADERS_PREFIX, in.length - FormatFuzzTest.HEADERS_PREFIX).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            switch (in[0]) {
                case 0 -> assertEquals(p.getLong(18), SegmentHeader.decode(buf).segmentId(), name);
                case 2 -> assertNotNull(RecordHeader.decode(buf, p.getLong(2), p.getLong(10)), name);
                default -> {
                    GroupHeader g = GroupHeader.decode(buf, p.getLong(18), p.getLong(2), p.getLong(10), 512);
                    assertNotNull(g, name);
                    for (int i = 0; in[0] == 3 && i < g.count(); i++) {
                        assertNotNull(RecordHeader.decode(buf, p.getLong(2) + GroupHeader.BYTES + (long) i * RecordHeader.BYTES,
                                p.getLong(2) + g.groupLength()), name);
                    }
                }
            }
            checked++;
        }
        byte[] seg = Files.readAllBytes(RESOURCES.resolve("format/FormatFuzzTestInputs/segmentFile/valid-sealed-segment"));
        byte[] img = java.util.Arrays.copyOfRange(seg, 1, seg.length);
        SimDisk disk = new SimDisk();
        Path dir = Path.of("/sim/seeds");
        disk.mkdirs(dir);
        Path file = new SegmentPath(FormatFuzzTest.ValidSegment.ID, SegmentPath.State.SEALED).in(dir);
        disk.plant(file, img);
        try (SegmentReader r = SegmentReader.open(new SimFileIO(disk, 512, null), file, FormatFuzzTest.ValidSegment.ID);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            SegmentFooter f = r.readFooter();
            assertEquals(3, f.entries().size());
            for (SegmentFooter.Entry e : f.entries()) {
                r.readVerified(e.location(), arena.allocate(4096, 512));
            }
        }
        checked++;
        for (String name : new String[] {"valid-minimal.yaml", "valid-full.yaml"}) {
            assertNotNull(ConfigLoader.load(RESOURCES.resolve("format/ConfigFuzzTestInputs/yamlAndEnvironment/" + name), Map.of()).build());
            checked++;
        }
        System.out.println("[fuzz] seed corpus: " + checked + " committed format and config seeds decode cleanly");
    }
}
