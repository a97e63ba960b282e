package io.spillway.engine.cli;

import io.spillway.engine.config.ConfigLoader;
import io.spillway.engine.config.StoreConfig;
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
}
