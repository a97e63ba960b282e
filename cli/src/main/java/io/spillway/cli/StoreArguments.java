package io.spillway.cli;

import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code DIR [--config FILE]}: the arguments of a command that opens an existing store
 * ({@code stats}, {@code gc}), and the config it opens it with.
 */
final class StoreArguments {

    @Parameters(index = "0", paramLabel = "DIR", description = "The store directory (its storage_backends).")
    Path dir;

    @Mixin
    ConfigOption config;

    /** The config of the store in {@link #dir}, refusing a directory that holds none ({@link ConfigOption#existingStore}). */
    StoreConfig existingStore() throws IOException {
        return config.existingStore(dir);
    }
}
