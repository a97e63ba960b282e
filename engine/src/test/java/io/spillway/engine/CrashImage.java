package io.spillway.engine;

import io.spillway.segments.CommitLog;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a crash leaves, taken from a live store: a copy of its segment files and a RocksDB
 * checkpoint of its index. Every acknowledged dump's data and index entry are durable when it
 * is acknowledged, so the copy is exactly a state a kill -9 could leave at that moment.
 */
final class CrashImage {

    private CrashImage() {
    }

    /** Copies {@code store}'s data directory (segments and the commit log, not its LOCK) and index into {@code target}/data. */
    static Path capture(SegmentStore store, Path target) throws IOException {
        Path from = store.config().storageBackends().getFirst();
        Path data = Files.createDirectories(target.resolve("data"));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SegmentPath.parse(name).isPresent() || name.equals(CommitLog.FILE_NAME)) {
                    Files.copy(f, data.resolve(f.getFileName()));
                }
            }
        }
        store.indexForTests().checkpoint(data.resolve("index"));
        return data;
    }
}
