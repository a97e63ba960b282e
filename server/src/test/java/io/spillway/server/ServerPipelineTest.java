package io.spillway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StorePipeline;
import io.spillway.server.client.DaemonClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The daemon serves any {@code store_pipeline}, opened as {@code spillway serve} opens it. */
class ServerPipelineTest {

    private static final int BLOCK = 64 << 10;

    @TempDir
    Path dir;
    private Path cacheDir;

    @BeforeEach
    void setUp() {
        cacheDir = Path.of("/dev/shm", "spillway-test-" + ProcessHandle.current().pid() + "-server-pipeline");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (Files.exists(cacheDir)) {
            try (Stream<Path> all = Files.walk(cacheDir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StorePipeline.class)
    void everyPipelineServesDumpsLoadsAndLookups(StorePipeline pipeline) throws Exception {
        try (ServerFixture f = ServerFixture.startOpened(dir, c -> c.storePipeline(pipeline).kvBlockSize(ByteSize.ofBytes(BLOCK))
                .bufferSize(ByteSize.ofMiB(4)).cachePath(cacheDir));
             DaemonClient c = f.client("pipeline")) {
            assertEquals(pipeline, f.store.config().storePipeline());
            ServerFixture.Shm shm = f.shm(16L * BLOCK);
            int region = c.registerRegion(shm.path(), shm.size());
            ServerFixture.roundTrip(c, shm, region, ServerFixture.keys(11, 8), BLOCK, 300);
            String stats = c.stats();
            if (pipeline.hasCache()) {
                assertTrue(stats.contains("\"cache.hits\":8"), stats);
            }
        }
    }
}
