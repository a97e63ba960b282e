package io.spillway.testkit;

import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The segment files of a store directory, as a test looks at them (straight on the file system). */
public final class SegmentFiles {

    private SegmentFiles() {
    }

    /** The segment files in {@code dir} with the given state, sorted by name (so by segment id). */
    public static List<Path> list(Path dir, SegmentPath.State state) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> SegmentPath.parse(f.getFileName().toString()).map(p -> p.state() == state).orElse(false))
                    .sorted().toList();
        }
    }

    /** The id of the segment file {@code file}; fails if its name is not a segment's. */
    public static long idOf(Path file) {
        return SegmentPath.parse(file.getFileName().toString())
                .orElseThrow(() -> new IllegalArgumentException(file + " is not named as a segment file"))
                .segmentId();
    }
}
