package io.spillway.engine.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The keys of one config class ({@link StoreConfig}, the GPU component's {@code GpuConfig}), in
 * declaration order: the order of {@code describe()}, of the checks and of the README table.
 *
 * <p>Built by {@link Declarations}: each key registers itself when its declaration ends, so a
 * class of {@code static final Key} fields is the whole list, in the order static initializers run
 * (the text order, JLS 12.4.2), and adding a key is adding one field.
 */
public final class ConfigSchema {

    private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    private final String owner;
    private final List<Key<?>> keys;
    private final Map<String, Key<?>> byName;

    private ConfigSchema(String owner, List<Key<?>> keys) {
        this.owner = owner;
        this.keys = List.copyOf(keys);
        Map<String, Key<?>> names = new LinkedHashMap<>();
        for (Key<?> key : keys) {
            names.put(key.name(), key);
        }
        this.byName = names;
    }

    /** Starts the declarations of a config class named {@code owner} (for messages). */
    public static Declarations declarations(String owner) {
        return new Declarations(owner);
    }

    /** The config class these keys belong to, for messages. */
    public String owner() {
        return owner;
    }

    public List<Key<?>> keys() {
        return keys;
    }

    public Optional<Key<?>> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The key whose {@link Key#envName()} is {@code variable}. */
    public Optional<Key<?>> byEnvName(String variable) {
        return keys.stream().filter(k -> k.envName().equals(variable)).findFirst();
    }

    boolean contains(Key<?> key) {
        return byName.get(key.name()) == key;
    }

    /** "storage_backends, index_path, …", for the unknown-key message. */
    public String knownKeys() {
        return keys.stream().map(Key::name).collect(Collectors.joining(", "));
    }

    /** A builder holding no values: every key at its default until set. */
    public Settings.Builder builder() {
        return new Settings.Builder(this);
    }

    /**
     * Collects the keys of one config class. Typical use, in a class holding only declarations:
     * <pre>{@code
     * private static final ConfigSchema.Declarations KEYS = ConfigSchema.declarations("StoreConfig");
     * public static final Key<Boolean> IO_DIRECT = KEYS.key("io_direct", ConfigTypes.bool())...doc("...");
     * static final ConfigSchema SCHEMA = KEYS.schema(); // last: it seals the list
     * }</pre>
     */
    public static final class Declarations {
        private final String owner;
        private final List<Key<?>> keys = new ArrayList<>();
        private ConfigSchema sealed;

        private Declarations(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
        }

        /**
         * Starts declaring a key.
         *
         * @param name snake_case, unique in this schema
         */
        public <T> Key.Declaration<T> key(String name, ConfigType<T> type) {
            if (name == null || !SNAKE_CASE.matcher(name).matches()) {
                throw new IllegalArgumentException("a config key name must be snake_case, got '" + name + "'");
            }
            return new Key.Declaration<>(this, name, type);
        }

        <T> Key<T> register(Key<T> key) {
            if (sealed != null) {
                throw new IllegalStateException("key '" + key.name() + "' of " + owner
                        + " is declared after the schema was built; declare it above the schema field");
            }
            if (keys.stream().anyMatch(k -> k.name().equals(key.name()))) {
                throw new IllegalStateException(owner + " declares key '" + key.name() + "' twice");
            }
            keys.add(key);
            return key;
        }

        /** The schema of every key declared so far; no key may be declared after it. */
        public ConfigSchema schema() {
            if (sealed == null) {
                if (keys.isEmpty()) {
                    throw new IllegalStateException(owner + " declares no keys");
                }
                sealed = new ConfigSchema(owner, keys);
            }
            return sealed;
        }
    }
}
