package io.spillway.cli;

import io.spillway.engine.config.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The directories commands are given, checked before anything uses them, so that a bad one ends
 * with a line that says what is wrong and what to do, as a bad config value does (issue 17, bug
 * 7), instead of a Java exception's name. A path that can never be a directory (a file, a path
 * under a file, one that cannot be created) is the caller's argument: an
 * {@link IllegalArgumentException}, exit 2. A store directory that is simply absent is a failure
 * to find the store (exit 1; fsck's own "could not run", 2).
 */
final class DirArguments {

    private static final String WHAT_TO_DO = "give the directory the store was created in (its storage_backends)";

    private DirArguments() {
    }

    /** The directory of an existing store: {@code stats}, {@code gc}, {@code fsck}, {@code inspect}, {@code rebuild-index}. */
    static Path existingStore(Path dir) throws IOException {
        Path file = Directories.blockingFile(dir);
        if (file != null) {
            throw new IllegalArgumentException(dir + " is not a store directory: " + (file.equals(dir.toAbsolutePath())
                    ? "it is a file" : file + " is a file") + "; " + WHAT_TO_DO);
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("no store directory at " + dir + " (nothing is there); " + WHAT_TO_DO);
        }
        return dir;
    }

    /** A directory the command creates when missing (its {@code option}, such as {@code --dir}). */
    static Path createIfMissing(String option, Path dir) throws IOException {
        String problem = Directories.create(dir);
        if (problem != null) {
            throw new IllegalArgumentException(option + " " + dir + " is invalid: " + problem);
        }
        return dir;
    }
}
