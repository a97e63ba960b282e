package io.spillway.engine.config;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The checked values of every key of one {@link ConfigSchema}, the state behind {@link StoreConfig}
 * and {@code GpuConfig}. Immutable; {@link #get(Key)} is typed by the key.
 *
 * <p>Two settings are equal when {@link #describe()} gives the same effective values.
 */
public final class Settings {

    private final ConfigSchema schema;
    /** Effective values in declaration order; while a builder resolves, only the keys resolved so far. */
    private final Map<Key<?>, Object> values;
    /** The values some source set, so {@link #toBuilder()} keeps deriving the others. */
    private final Map<Key<?>, Object> explicit;

    private Settings(ConfigSchema schema, Map<Key<?>, Object> values, Map<Key<?>, Object> explicit) {
        this.schema = schema;
        this.values = values;
        this.explicit = explicit;
    }

    /**
     * The value of {@code key}.
     *
     * @throws IllegalArgumentException when {@code key} belongs to another schema
     * @throws IllegalStateException when a default or rule reads a key declared after its own
     */
    public <T> T get(Key<T> key) {
        Object value = values.get(key);
        if (value == null) {
            if (!schema.contains(key)) {
                throw new IllegalArgumentException("'" + key.name() + "' is not a key of " + schema.owner());
            }
            throw new IllegalStateException("'" + key.name() + "' is read before it is resolved: a default or rule "
                    + "of " + schema.owner() + " may only read keys declared before its own");
        }
        @SuppressWarnings("unchecked") // set(Key<T>, T) and Key<T>.parse are the only ways in, so the cast holds
        T typed = (T) value;
        return typed;
    }

    /**
     * Every key with its effective value, in declaration order, each printed so that it parses back
     * (e.g. {@code segment_size → "1 GiB"}, {@code storage_backends → "/a,/b"}).
     */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Key<?> key : schema.keys()) {
            out.put(key.name(), show(key));
        }
        return out;
    }

    private <T> String show(Key<T> key) {
        return key.show(get(key));
    }

    /** A builder holding the values set by some source; defaults stay defaults (a derived one is derived again). */
    public Builder toBuilder() {
        Builder b = new Builder(schema);
        b.explicit.putAll(explicit);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings other && schema == other.schema && describe().equals(other.describe());
    }

    @Override
    public int hashCode() {
        return describe().hashCode();
    }

    @Override
    public String toString() {
        return describe().toString();
    }

    /**
     * Collects values and checks them all in {@link #build()}. A later value replaces an earlier one
     * key by key, which is how the environment overrides the file and code overrides both.
     */
    public static final class Builder {
        private final ConfigSchema schema;
        private final Map<Key<?>, Object> explicit = new HashMap<>();
        /** The text and source of values loaded from YAML or the environment, for messages. */
        private final Map<Key<?>, Origin> origins = new HashMap<>();

        Builder(ConfigSchema schema) {
            this.schema = schema;
        }

        /** Where a loaded value came from, kept so a later range check can quote it as written. */
        private record Origin(String text, String source) {
        }

        /**
         * Sets a value in code; messages then show it typed, with no source.
         *
         * @throws NullPointerException naming the key, for a null value
         */
        public <T> Builder set(Key<T> key, T value) {
            requireOwn(key);
            explicit.put(key, Objects.requireNonNull(value, key.name()));
            origins.remove(key);
            return this;
        }

        /**
         * Parses {@code raw} (a YAML value, or an environment variable's text) for {@code key} and sets
         * it, remembering the text and source for messages.
         *
         * @param source "YAML file /etc/spillway.yaml", "environment variable SPILLWAY_X"; null when none is worth naming
         * @throws ConfigException when the value does not parse or has the wrong type
         */
        public Builder apply(Key<?> key, Object raw, String source) {
            requireOwn(key);
            String text = ConfigValues.show(raw);
            try {
                explicit.put(key, key.type().parse(raw));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key.name(), text, source, e.getMessage(), e);
            }
            origins.put(key, new Origin(text, source));
            return this;
        }

        /**
         * Applies every entry of a mapping (a YAML document or section).
         *
         * @throws ConfigException for an unknown key (listing the known ones: a typo must not
         *     silently leave a default in place) or a value that does not parse
         */
        public Builder applyAll(Map<?, ?> entries, String source) {
            for (Map.Entry<?, ?> entry : entries.entrySet()) {
                String name = String.valueOf(entry.getKey());
                Key<?> key = schema.byName(name).orElseThrow(() -> new ConfigException(name,
                        ConfigValues.show(entry.getValue()), source, "unknown key; known keys are " + schema.knownKeys()));
                apply(key, entry.getValue(), source);
            }
            return this;
        }

        /**
         * Resolves every key in declaration order (a set value, else its default, which may read the
         * keys before it) and checks it right away, so a default or rule only ever sees checked values.
         *
         * @throws ConfigException naming the first bad key, its value as given, its source and what is allowed
         */
        public Settings build() {
            Map<Key<?>, Object> values = new LinkedHashMap<>();
            Settings settings = new Settings(schema, values, Map.copyOf(explicit));
            for (Key<?> key : schema.keys()) {
                resolveAndCheck(key, values, settings);
            }
            return new Settings(schema, Collections.unmodifiableMap(values), settings.explicit);
        }

        private <T> void resolveAndCheck(Key<T> key, Map<Key<?>, Object> values, Settings resolvedSoFar) {
            @SuppressWarnings("unchecked") // put only by set(Key<T>, T) and apply's key.type().parse
            T value = explicit.containsKey(key) ? (T) explicit.get(key) : key.defaultValue(resolvedSoFar);
            values.put(key, value);
            Optional<String> problem = key.problem(value, resolvedSoFar);
            if (problem.isPresent()) {
                Origin origin = origins.get(key);
                throw origin == null
                        ? new ConfigException(key.name(), key.show(value), problem.get())
                        : new ConfigException(key.name(), origin.text(), origin.source(), problem.get());
            }
        }

        private void requireOwn(Key<?> key) {
            if (!schema.contains(Objects.requireNonNull(key, "key"))) {
                throw new IllegalArgumentException("'" + key.name() + "' is not a key of " + schema.owner());
            }
        }
    }
}
