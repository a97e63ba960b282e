package io.spillway.engine.config;

import io.spillway.engine.config.StoreConfig.Builder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every config key, once: its YAML name, how a raw YAML or environment value becomes a typed
 * builder call, and how the effective value prints in {@link StoreConfig#describe()}.
 *
 * <p>The printed form parses back to the same value, so {@code describe()} output can be pasted
 * into a YAML file or environment. Adding a key means one constant here, a field, getter and setter
 * in {@link StoreConfig}, and its rule in {@link ConfigRules}.
 */
enum ConfigKey {
    STORAGE_BACKENDS("storage_backends", bind(ConfigValues::pathList, Builder::storageBackends),
            c -> c.storageBackends().stream().map(Path::toString).collect(Collectors.joining(","))),
    INDEX_PATH("index_path", bind(ConfigValues::path, Builder::indexPath), c -> c.indexPath().toString()),
    KV_BLOCK_SIZE("kv_block_size", bind(ConfigValues::size, Builder::kvBlockSize), c -> c.kvBlockSize().toString()),
    ALIGNMENT("alignment", bind(ConfigValues::size, Builder::alignment), c -> Long.toString(c.alignment().bytes())),
    IO_DIRECT("io_direct", bind(ConfigValues::bool, Builder::ioDirect), c -> Boolean.toString(c.ioDirect())),
    STREAM_NUMBER("stream_number", bind(raw -> ConfigValues.integer(raw, ConfigRules.STREAM_NUMBER), Builder::streamNumber),
            c -> Integer.toString(c.streamNumber())),
    WAITING_QUEUE_DEPTH("waiting_queue_depth",
            bind(raw -> ConfigValues.integer(raw, ConfigRules.WAITING_QUEUE_DEPTH), Builder::waitingQueueDepth),
            c -> Integer.toString(c.waitingQueueDepth())),
    RUNNING_QUEUE_DEPTH("running_queue_depth",
            bind(raw -> ConfigValues.integer(raw, ConfigRules.RUNNING_QUEUE_DEPTH), Builder::runningQueueDepth),
            c -> Integer.toString(c.runningQueueDepth())),
    TIMEOUT_MS("timeout_ms", bind(raw -> Duration.ofMillis(ConfigValues.integer(raw, ConfigRules.TIMEOUT_MS)), Builder::timeout),
            c -> showMillis(c.timeout())),
    BUFFER_SIZE("buffer_size", bind(ConfigValues::size, Builder::bufferSize), c -> c.bufferSize().toString()),
    CAPACITY("capacity", bind(ConfigValues::capacity, Builder::capacity), c -> c.capacity().toString()),
    SEGMENT_SIZE("segment_size", bind(ConfigValues::size, Builder::segmentSize), c -> c.segmentSize().toString()),
    DURABILITY("durability", bind(ConfigValues::durability, Builder::durability), c -> c.durability().configName()),
    COMPRESSION("compression", bind(ConfigValues::compression, Builder::compression), c -> c.compression().configName()),
    AUTO_COMMIT("auto_commit", bind(ConfigValues::bool, Builder::autoCommit), c -> Boolean.toString(c.autoCommit())),
    INDEX_CACHE_SIZE("index_cache_size", bind(ConfigValues::size, Builder::indexCacheSize), c -> c.indexCacheSize().toString()),
    GC_HIGH_WATERMARK("gc_high_watermark", bind(ConfigValues::fraction, Builder::gcHighWatermark), c -> Double.toString(c.gcHighWatermark())),
    GC_LOW_WATERMARK("gc_low_watermark", bind(ConfigValues::fraction, Builder::gcLowWatermark), c -> Double.toString(c.gcLowWatermark())),
    EVICTION_POLICY("eviction_policy", bind(ConfigValues::evictionPolicy, Builder::evictionPolicy), c -> c.evictionPolicy().configName()),
    REINSERT_HITS("reinsert_hits", bind(raw -> ConfigValues.integer(raw, ConfigRules.REINSERT_HITS), Builder::reinsertHits), c -> Integer.toString(c.reinsertHits())),
    REINSERT_BUDGET_PERCENT("reinsert_budget_percent", bind(raw -> ConfigValues.integer(raw, ConfigRules.REINSERT_BUDGET_PERCENT), Builder::reinsertBudgetPercent), c -> Integer.toString(c.reinsertBudgetPercent())),
    COMPACTION_THRESHOLD("compaction_threshold", bind(ConfigValues::fraction, Builder::compactionThreshold), c -> Double.toString(c.compactionThreshold())),
    GC_MAX_BYTES_PER_SEC("gc_max_bytes_per_sec", bind(ConfigValues::size, Builder::gcMaxBytesPerSec), c -> c.gcMaxBytesPerSec().toString()),
    TTL("ttl", bind(ConfigValues::duration, Builder::ttl), c -> ConfigValues.showDuration(c.ttl()));

    /** Prefix of the environment variables that override keys: {@code SPILLWAY_SEGMENT_SIZE}. */
    static final String ENV_PREFIX = "SPILLWAY_";

    private final String yamlName;
    private final Binding<?> binding;
    private final Function<StoreConfig, String> show;

    ConfigKey(String yamlName, Binding<?> binding, Function<StoreConfig, String> show) {
        this.yamlName = yamlName;
        this.binding = binding;
        this.show = show;
    }

    /** Where a loaded value came from, kept so a later range check can quote it as written. */
    record Origin(String text, String source) {
    }

    /** The snake_case key of the YAML file. */
    String yamlName() {
        return yamlName;
    }

    /** {@code SPILLWAY_} plus the upper-cased YAML name. */
    String envName() {
        return ENV_PREFIX + yamlName.toUpperCase(Locale.ROOT);
    }

    /** The effective value, printed so that it parses back. */
    String show(StoreConfig config) {
        return show.apply(config);
    }

    /**
     * Converts {@code raw} and sets it on {@code builder}, remembering the text and source for messages.
     *
     * @throws ConfigException when the value does not parse or has the wrong type
     */
    void apply(Builder builder, Object raw, String source) {
        String text = ConfigValues.show(raw);
        try {
            binding.apply(builder, raw);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(yamlName, text, source, e.getMessage(), e);
        }
        builder.origin(this, new Origin(text, source));
    }

    static Optional<ConfigKey> byYamlName(String name) {
        return Arrays.stream(values()).filter(k -> k.yamlName.equals(name)).findFirst();
    }

    static Optional<ConfigKey> byEnvName(String name) {
        return Arrays.stream(values()).filter(k -> k.envName().equals(name)).findFirst();
    }

    /** "storage_backends, index_path, …", for the unknown-key message. */
    static String knownKeys() {
        return Arrays.stream(values()).map(ConfigKey::yamlName).collect(Collectors.joining(", "));
    }

    static List<ConfigKey> all() {
        return List.of(values());
    }

    private static String showMillis(Duration d) {
        return d.toNanosPart() % 1_000_000 == 0 ? Long.toString(d.toMillis()) : d.toString();
    }

    private static <T> Binding<T> bind(Function<Object, T> parse, BiConsumer<Builder, T> set) {
        return new Binding<>(parse, set);
    }

    /** A parser and the typed setter it feeds; generic so each key keeps its own value type. */
    private record Binding<T>(Function<Object, T> parse, BiConsumer<Builder, T> set) {
        void apply(Builder builder, Object raw) {
            set.accept(builder, parse.apply(raw));
        }
    }
}
