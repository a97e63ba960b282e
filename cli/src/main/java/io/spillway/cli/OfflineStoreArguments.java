package io.spillway.cli;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code DIR [--index PATH]}: the arguments of an offline tool that reads a store's segments and
 * index without opening the store ({@code fsck}, {@code inspect}, {@code rebuild-index}).
 */
final class OfflineStoreArguments {

    @Parameters(index = "0", paramLabel = "DIR", description = "The store directory.")
    Path dir;

    @Option(names = "--index", paramLabel = "PATH", description = "The index directory (default: DIR/index).")
    Path index;

    /** {@link #dir}, refused where no store can be ({@link DirArguments#existingStore}). */
    Path existingDir() throws IOException {
        return DirArguments.existingStore(dir);
    }

    /** The index directory: {@code --index}, or the store's own. */
    Path indexDir() {
        return index == null ? dir.resolve("index") : index;
    }
}
