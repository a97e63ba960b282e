package io.spillway.cli;

import io.spillway.engine.config.ConfigLoader;
import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every store-opening command shares. */
final class ConfigOption {

    @Option(names = "--config", paramLabel = "FILE",
            description = "A YAML store config; SPILLWAY_<KEY> environment variables override it, "
                    + "and the command's own options override both.")
    Path file;

    /** Defaults, then the YAML file (if any), then the environment. */
    StoreConfig.Builder load() {
        return ConfigLoader.load(file);
    }

    /**
     * The config of the existing store in {@code dir} (its {@code storage_backends}), refusing a
     * directory that is missing or holds no store, so that a typo never creates an empty store.
     */
    StoreConfig existingStore(Path dir) throws IOException {
        DirArguments.existingStore(dir);
        StoreConfig config = load().storageBackend(dir).build();
        if (!Files.isDirectory(config.indexPath())) {
            throw new IOException("no Spillway store in " + dir + " (its index " + config.indexPath() + " does not exist)");
        }
        return config;
    }
}
