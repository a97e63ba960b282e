package io.spillway.recovery;

import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Moves a path that carries a segment's name but cannot be a segment out of the store's way:
 * a directory, a dangling symbolic link, a FIFO or device, or a regular file in which nothing
 * checks out as that segment. It goes to {@code <name>.quarantine} (or {@code .quarantine-<n>}
 * where that is taken), a name the store never parses as a segment and never deletes; nothing is
 * destroyed, and fsck lists it until the operator removes it.
 *
 * <p>Protocol:
 * <ol>
 *   <li>rename the path (a symbolic link is renamed itself, never its target);
 *   <li>fsync the directory.
 * </ol>
 * The index entries into that segment are removed afterwards ({@link Fsck}'s step 4). A crash
 * between leaves entries into a segment that is not on disk: the next open drops them
 * ({@link StoreRecovery}, step 10), as the next {@code fsck --repair} does.
 */
final class PathQuarantine {

    /** What a quarantined name ends with. */
    static final String SUFFIX = ".quarantine";

    private static final Pattern NAME = Pattern.compile("seg-[0-9a-f]{16}\\.(open|seg|deleted)\\.quarantine(-[0-9]+)?");

    private PathQuarantine() {
    }

    /** Steps 1 and 2 for {@code path}; returns where it went. */
    static Path move(FileIO io, Path path) throws IOException {
        Path dir = path.getParent();
        Set<String> taken = new HashSet<>(io.list(dir));
        String base = path.getFileName() + SUFFIX;
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "-" + i;
        }
        Path target = dir.resolve(name);
        io.rename(path, target);
        io.syncDirectory(dir);
        return target;
    }

    /** Whether {@code name} is one that {@link #move} gives. */
    static boolean isQuarantined(String name) {
        return NAME.matcher(name).matches();
    }
}
