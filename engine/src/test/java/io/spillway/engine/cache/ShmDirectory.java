package io.spillway.engine.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** A directory of the test's own under /dev/shm (the cache's real home: a tmpfs), removed at close. */
final class ShmDirectory implements AutoCloseable {

    private final Path path;

    ShmDirectory() throws IOException {
        this.path = Files.createDirectory(Path.of("/dev/shm", "spillway-test-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(new SplittableRandom().nextLong())));
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
