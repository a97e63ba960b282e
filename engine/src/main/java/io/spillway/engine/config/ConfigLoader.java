package io.spillway.engine.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Fills a {@link StoreConfig.Builder} from a YAML file and the environment, for the keys declared
 * in {@link StoreKeys}.
 *
 * <p>Precedence, lowest first; each source overrides the ones before it, key by key:
 * <ol>
 *   <li>built-in defaults ({@link StoreConfig#builder()});</li>
 *   <li>the YAML file: a top-level mapping of the snake_case keys ({@code segment_size: 256MiB});</li>
 *   <li>environment variables {@code SPILLWAY_<KEY_UPPERCASE>} ({@code SPILLWAY_SEGMENT_SIZE=256MiB},
 *       {@code SPILLWAY_STORAGE_BACKENDS=/a,/b}), so a deployment can adjust one value without
 *       editing the file;</li>
 *   <li>setters called in code on the returned builder, before {@link StoreConfig.Builder#build()}.</li>
 * </ol>
 *
 * <p>Refused, with a {@link ConfigException}: a missing or malformed file, a top level that is not a
 * mapping, duplicate keys, unknown keys (the message lists the known ones: a typo must not silently
 * leave a default in place), and values of the wrong type or format. Ranges are checked by
 * {@code build()}, once all sources are applied, so an out-of-range file value may still be overridden.
 *
 * <p>Unknown {@code SPILLWAY_*} variables only log one WARN each: the environment is shared with other
 * tools and older launchers, so refusing them would make a stale export fatal. The launcher's own
 * variables ({@link #LAUNCHER_VARIABLES}) are expected and ignored silently.
 */
public final class ConfigLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    /** Prefix of the environment variables that override keys: {@code SPILLWAY_SEGMENT_SIZE}. */
    public static final String ENV_PREFIX = "SPILLWAY_";

    /** Read by the {@code ./spillway} launcher script and the Python client's test daemon, not by the store. */
    public static final Set<String> LAUNCHER_VARIABLES = Set.of("SPILLWAY_HOME", "SPILLWAY_JAVA", "SPILLWAY_JAVA_OPTS",
            "SPILLWAY_LAUNCHER");

    private ConfigLoader() {
    }

    /**
     * A builder holding the defaults, overridden by the YAML file, overridden by {@code env}.
     *
     * @param yamlOrNull the YAML file, or null for none
     * @param env the environment, usually {@link System#getenv()}; variables without the
     *     {@code SPILLWAY_} prefix are ignored
     * @throws ConfigException for a missing or bad file, an unknown YAML key, or a value that does not parse
     */
    public static StoreConfig.Builder load(Path yamlOrNull, Map<String, String> env) {
        return load(yamlOrNull, env, LOG::warn);
    }

    /** As {@link #load(Path, Map)}, with the process environment. */
    public static StoreConfig.Builder load(Path yamlOrNull) {
        return load(yamlOrNull, System.getenv());
    }

    /** As {@link #load(Path, Map)}, with warnings sent to {@code warn} (tests capture them). */
    static StoreConfig.Builder load(Path yamlOrNull, Map<String, String> env, Consumer<String> warn) {
        StoreConfig.Builder builder = StoreConfig.builder();
        if (yamlOrNull != null) {
            applyYaml(builder, yamlOrNull);
        }
        applyEnv(builder, env, warn);
        return builder;
    }

    private static void applyYaml(StoreConfig.Builder builder, Path file) {
        String source = "YAML file " + file;
        Object document = readYaml(file);
        if (document == null) {
            return; // an empty file sets nothing
        }
        if (!(document instanceof Map<?, ?> settings)) {
            throw fileProblem(file, "must hold a mapping of key: value at the top level, found "
                    + document.getClass().getSimpleName(), null);
        }
        builder.values().applyAll(settings, source);
    }

    /**
     * SafeConstructor builds only plain types (no arbitrary classes from the file); duplicate keys are
     * refused because "last one wins" hides which value is in force.
     */
    private static Object readYaml(Path file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        if (Files.isDirectory(file)) {
            throw fileProblem(file, "is a directory, expected a YAML file", null);
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return yaml.load(reader);
        } catch (NoSuchFileException e) {
            throw fileProblem(file, "not found", e);
        } catch (IOException e) {
            throw fileProblem(file, "cannot be read: " + e, e);
        } catch (MarkedYAMLException e) {
            String where = e.getProblemMark() == null ? ""
                    : " at line " + (e.getProblemMark().getLine() + 1) + ", column " + (e.getProblemMark().getColumn() + 1);
            throw fileProblem(file, "is not valid YAML: " + e.getProblem() + where, e);
        } catch (YAMLException e) {
            throw fileProblem(file, "is not valid YAML: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // SnakeYAML lets a scalar its own resolver took for a number escape unconverted: "._"
            // resolves as a float and Double.valueOf(".") throws (found by the config fuzz target).
            throw fileProblem(file, "is not valid YAML: a scalar could not be converted (" + e.getMessage() + ")", e);
        }
    }

    private static ConfigException fileProblem(Path file, String problem, Throwable cause) {
        return new ConfigException(ConfigException.CONFIG_FILE, file.toString(), null, problem, cause);
    }

    /** The variable that overrides {@code keyName}: {@code SPILLWAY_} plus the name upper-cased. */
    public static String envName(String keyName) {
        return ENV_PREFIX + keyName.toUpperCase(Locale.ROOT);
    }

    /** Applies {@code SPILLWAY_*} variables in name order, so warnings and errors are reproducible. */
    private static void applyEnv(StoreConfig.Builder builder, Map<String, String> env, Consumer<String> warn) {
        for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
            String name = entry.getKey();
            if (!name.startsWith(ENV_PREFIX) || LAUNCHER_VARIABLES.contains(name)) {
                continue;
            }
            StoreKeys.SCHEMA.byEnvName(name).ifPresentOrElse(
                    key -> builder.values().apply(key, entry.getValue(), "environment variable " + name),
                    () -> warn.accept("Ignoring environment variable " + name
                            + ": not a Spillway config key (known keys: " + StoreKeys.SCHEMA.knownKeys() + ")"));
        }
    }
}
