package io.spillway.cli;

import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The scratch space of a benchmark verb whose {@code --dir} is optional ({@code bench},
 * {@code lookup-bench}, {@code gc-replay}): a fresh {@code NAME-*} directory under {@code --dir}
 * (created when missing), or under a new temporary {@code spillway-NAME*} directory when
 * {@code --dir} is not given. Closing deletes the fresh directory, and the temporary one, never
 * {@code --dir} itself.
 *
 * @param root {@code --dir}, or the temporary directory in its place
 * @param temporaryRoot whether {@code root} is that temporary directory, which closing deletes
 * @param work the fresh directory this run writes in
 */
record ScratchDir(Path root, boolean temporaryRoot, Path work) implements AutoCloseable {

    /** A fresh {@code name-*} directory under {@code dir} ({@code --dir}), or under a temporary one when {@code dir} is null. */
    static ScratchDir create(Path dir, String name) throws IOException {
        Path root = dir != null ? DirArguments.createIfMissing("--dir", dir) : Files.createTempDirectory("spillway-" + name);
        try {
            return new ScratchDir(root, dir == null, Files.createTempDirectory(root, name + "-"));
        } catch (IOException | RuntimeException e) {
            if (dir == null) {
                FileTrees.deleteRecursively(root);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        FileTrees.deleteRecursively(work);
        if (temporaryRoot) {
            FileTrees.deleteRecursively(root);
        }
    }
}
