package io.spillway.engine.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One config key, declared once: its snake_case name, its {@linkplain ConfigType type} (which
 * carries the unit), its default, its rules and its one-line doc. Parsing from YAML and the
 * environment, the builder, {@code describe()}, the error messages and the README's table all
 * read this declaration; nothing else names the key.
 *
 * <p>Declare keys with {@link ConfigSchema.Declarations#key}, as {@link StoreKeys} does:
 * <pre>{@code
 * public static final Key<ByteSize> SEGMENT_SIZE = KEYS.key("segment_size", ConfigTypes.size())
 *         .byDefault(ByteSize.ofGiB(1))
 *         .rule(SizeRules.multipleBetween(ALIGNMENT, ByteSize.ofMiB(1), ByteSize.ofGiB(64)))
 *         .doc("segment file size");
 * }</pre>
 *
 * <p>Keys compare by identity: two declarations are two keys even with one name, which their
 * schema refuses.
 *
 * @param <T> the value type
 */
public final class Key<T> {

    private final String name;
    private final ConfigType<T> type;
    private final String defaultLabel;
    private final Function<Settings, T> defaultValue;
    private final List<Rule<T>> rules;
    private final String doc;

    private Key(Declaration<T> d) {
        name = d.name;
        type = d.type;
        defaultLabel = d.defaultLabel;
        defaultValue = d.defaultValue;
        List<Rule<T>> all = new ArrayList<>(type.rules());
        all.addAll(d.rules);
        rules = List.copyOf(all);
        doc = d.doc;
    }

    /** The snake_case name of the YAML file and of messages: {@code segment_size}. */
    public String name() {
        return name;
    }

    /** The environment variable that overrides it: {@code SPILLWAY_SEGMENT_SIZE}. */
    public String envName() {
        return ConfigLoader.envName(name);
    }

    public ConfigType<T> type() {
        return type;
    }

    /** The one-line doc: the README's "meaning" column. */
    public String doc() {
        return doc;
    }

    /** The default as the README shows it: a value that parses back, or how it is computed. */
    public String defaultLabel() {
        return defaultLabel;
    }

    /** What the rules allow, for the README: the rules' own words, or the type's forms when no rule narrows them. */
    public String allowed() {
        return rules.isEmpty() ? type.forms() : rules.stream().map(Rule::allowed).collect(Collectors.joining(", "));
    }

    /** The value as it parses back. */
    public String show(T value) {
        return type.show(value);
    }

    /** The default, which may read the keys declared before this one. */
    T defaultValue(Settings earlier) {
        return Objects.requireNonNull(defaultValue.apply(earlier), () -> "the default of '" + name + "' is null");
    }

    /** The first rule {@code value} breaks, as its requirement. */
    Optional<String> problem(T value, Settings settings) {
        for (Rule<T> rule : rules) {
            Optional<String> problem = rule.problem(value, settings);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * A key being declared; {@link #doc(String)} ends the declaration and registers the key with its
     * schema, so a declaration without a doc does not compile where a {@code Key} is expected.
     */
    public static final class Declaration<T> {
        private final ConfigSchema.Declarations owner;
        private final String name;
        private final ConfigType<T> type;
        private final List<Rule<T>> rules = new ArrayList<>();
        private String defaultLabel;
        private Function<Settings, T> defaultValue;
        private String doc;

        Declaration(ConfigSchema.Declarations owner, String name, ConfigType<T> type) {
            this.owner = owner;
            this.name = name;
            this.type = Objects.requireNonNull(type, "type");
        }

        /** A fixed default; the README shows it as it parses back. */
        public Declaration<T> byDefault(T value) {
            Objects.requireNonNull(value, "default");
            return byDefault("`" + type.show(value) + "`", earlier -> value);
        }

        /**
         * A default computed when a config is built, from the machine or from the keys declared
         * before this one (the index lives under the first backend).
         *
         * @param label how the README states it: "min(4, cores)", "`<first backend>/index`"
         */
        public Declaration<T> byDefault(String label, Function<Settings, T> fromEarlierKeys) {
            if (defaultValue != null) {
                throw new IllegalStateException("key '" + name + "' has two defaults");
            }
            defaultLabel = Objects.requireNonNull(label, "label");
            defaultValue = Objects.requireNonNull(fromEarlierKeys, "default");
            return this;
        }

        /** A rule, checked after the type's own and the ones added before it. */
        public Declaration<T> rule(Rule<T> rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** The one-line doc; ends the declaration and registers the key. */
        public Key<T> doc(String text) {
            if (text == null || text.isBlank()) {
                throw new IllegalArgumentException("key '" + name + "' needs a doc");
            }
            if (defaultValue == null) {
                throw new IllegalStateException("key '" + name + "' has no default; a required key defaults to an "
                        + "empty value that a rule refuses, as storage_backends does");
            }
            doc = text;
            return owner.register(new Key<>(this));
        }
    }
}
