package io.spillway.engine.shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SharedStoreSuite} with the store in one local directory (part of the default build). */
class SharedStoreLocalTest extends SharedStoreSuite {

    @Override
    List<Path> mounts() throws IOException {
        Path store = tmp.resolve("store");
        Files.createDirectories(store);
        return List.of(store);
    }

    @Test
    void threeWritersTwoReadersKillAWriterKillTheGcOwner() throws Exception {
        run();
    }
}
