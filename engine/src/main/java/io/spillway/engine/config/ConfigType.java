package io.spillway.engine.config;

import java.util.List;

/**
 * The value type of a config key, with its unit: how a raw value (as SnakeYAML produced it, or an
 * environment variable's text) becomes a typed value, and how a typed value prints so that it
 * parses back. {@link ConfigTypes} holds the ones the store and the GPU component use.
 *
 * <p>Parsing checks format only; ranges are {@linkplain #rules() rules}, checked once every source
 * is applied, so a value out of range in the YAML file may still be overridden by the environment
 * or in code.
 *
 * @param <T> the Java type of the value ({@link ByteSize}, {@link java.time.Duration}, an enum, ...)
 */
public interface ConfigType<T> {

    /**
     * Converts a raw value.
     *
     * @throws IllegalArgumentException saying only what is wrong ("must be a boolean: true/false/...");
     *     the caller adds the key, the value and the source
     */
    T parse(Object raw);

    /** The value as {@link #parse} reads it back ("2 MiB", "30000", "batch"). */
    String show(T value);

    /** The accepted forms, in words, for the README when no rule narrows them ("boolean", "directories"). */
    String forms();

    /** Rules every value of this type obeys whatever the key, such as an integer's bounds; none by default. */
    default List<Rule<T>> rules() {
        return List.of();
    }
}
