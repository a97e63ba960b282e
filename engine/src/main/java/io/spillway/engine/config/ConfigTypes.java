package io.spillway.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The value types of config keys, each with its unit in its Java type: sizes are {@link ByteSize},
 * times are {@link Duration}, integers carry their bounds, choices are enums. Keys of the store
 * ({@link StoreKeys}) and of other components (the GPU path) declare themselves with these.
 */
public final class ConfigTypes {

    private ConfigTypes() {
    }

    /** A size, printed in the largest exact binary unit ("2 MiB"); 1024-based units as {@link ByteSize#parse}. */
    public static ConfigType<ByteSize> size() {
        return new Simple<>(ConfigValues.SIZE_FORMS, ConfigValues::size, ByteSize::toString);
    }

    /** A size printed as a bare byte count ("4096"), for keys usually thought of in bytes, such as an alignment. */
    public static ConfigType<ByteSize> sizeInBytes() {
        return new Simple<>(ConfigValues.SIZE_FORMS, ConfigValues::size, size -> Long.toString(size.bytes()));
    }

    /** YAML's booleans, or true/false/yes/no/1/0 in any case. */
    public static ConfigType<Boolean> bool() {
        return new Simple<>("boolean", ConfigValues::bool, b -> Boolean.toString(b));
    }

    /** One directory. */
    public static ConfigType<Path> path() {
        return new Simple<>("directory", ConfigValues::path, Path::toString);
    }

    /**
     * A name of letters, digits, {@code .}, {@code _} and {@code -} (at most 64), or empty: safe as
     * one path component on every file system.
     */
    public static ConfigType<String> name() {
        return new Simple<>("a name of letters, digits, `.`, `_`, `-` (at most 64), or empty", raw -> {
            String s = String.valueOf(raw).trim();
            if (!s.matches("[A-Za-z0-9._-]{0,64}") || s.equals(".") || s.equals("..")) {
                throw new IllegalArgumentException("must be letters, digits, '.', '_' or '-' (at most 64), not '.' or '..'");
            }
            return s;
        }, s -> s);
    }

    /** A YAML list of directories, or one comma-separated string (the environment's form); prints comma-separated. */
    public static ConfigType<List<Path>> pathList() {
        return new Simple<>("directories", ConfigValues::pathList,
                paths -> paths.stream().map(Path::toString).collect(Collectors.joining(",")));
    }

    /** Unlimited, a size, or a percentage of the file system. */
    public static ConfigType<Capacity> capacity() {
        return new Simple<>("`unlimited` (or `0`), a size such as `500GiB`, or a share of the file system such as `80%`",
                ConfigValues::capacity, Capacity::toString);
    }

    /** A number such as 0.9; its key's rules say which fractions make sense. */
    public static ConfigType<Double> fraction() {
        return new Simple<>("a number such as 0.9", ConfigValues::fraction, d -> Double.toString(d));
    }

    /** An integer within {@code [min, max]}; the bounds are checked at build, whatever the source. */
    public static ConfigType<Integer> integer(long min, long max) {
        IntRange range = new IntRange(min, max);
        Rule<Integer> bounds = Rule.of(range.allowed(), value -> range.contains(value), range.requirement());
        return new Simple<>("an integer", raw -> ConfigValues.integer(raw, range), i -> Integer.toString(i), List.of(bounds));
    }

    /**
     * A duration written as a whole number of milliseconds (a {@code _ms} key), within
     * {@code [minMillis, maxMillis]}; a {@link Duration} set in code must be whole milliseconds too,
     * because a finer one would be silently truncated.
     */
    public static ConfigType<Duration> millis(long minMillis, long maxMillis) {
        IntRange range = new IntRange(minMillis, maxMillis);
        Duration min = Duration.ofMillis(minMillis);
        Duration max = Duration.ofMillis(maxMillis);
        Rule<Duration> bounds = Rule.of(range.allowed() + " ms",
                d -> ConfigValues.isWholeMillis(d) && d.compareTo(min) >= 0 && d.compareTo(max) <= 0,
                "must be a whole number of milliseconds between " + minMillis + " and " + maxMillis
                        + " (" + ConfigValues.showHuman(max) + ")");
        return new Simple<>("whole milliseconds", raw -> Duration.ofMillis(ConfigValues.integer(raw, range)),
                ConfigValues::showMillis, List.of(bounds));
    }

    /** A duration with a unit ("90s", "30m", "24h", "1500ms", or a bare number of milliseconds); "0" or "off" is zero. */
    public static ConfigType<Duration> duration() {
        return new Simple<>(ConfigValues.DURATION_FORMS, ConfigValues::duration, ConfigValues::showDuration);
    }

    /** One of an enum's constants, by its lower-case name, case-insensitively. */
    public static <E extends Enum<E>> EnumType<E> enumOf(Class<E> type) {
        return new EnumType<>(type);
    }

    /**
     * One of an enum's constants by its own spelling ({@code "Cache|Disk"}), read case-insensitively
     * and printed as spelled; for names that are not the constant's in lower case.
     */
    public static <E extends Enum<E>> ConfigType<E> spelled(Class<E> type, Function<E, String> spelling) {
        List<E> constants = List.of(type.getEnumConstants());
        String names = constants.stream().map(c -> "`" + spelling.apply(c) + "`").collect(Collectors.joining(", "));
        String allowed = "one of " + constants.stream().map(spelling).collect(Collectors.joining(", "));
        return new Simple<>(names, raw -> {
            String text = ConfigValues.string(raw, allowed).strip();
            return constants.stream().filter(c -> spelling.apply(c).equalsIgnoreCase(text)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("must be " + allowed));
        }, spelling);
    }

    /**
     * An enum spelled in lower case in config files ("batch"), read case-insensitively.
     *
     * @param type the enum class
     */
    public record EnumType<E extends Enum<E>>(Class<E> type) implements ConfigType<E> {

        public EnumType {
            Objects.requireNonNull(type, "type");
        }

        @Override
        public E parse(Object raw) {
            return parseName(ConfigValues.string(raw, allowed()));
        }

        /** Parses " Batch " as BATCH; a null or unknown name is refused listing the names. */
        public E parseName(String text) {
            String name = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
            return Arrays.stream(type.getEnumConstants())
                    .filter(constant -> show(constant).equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("must be " + allowed()));
        }

        @Override
        public String show(E value) {
            return value.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String forms() {
            return names().stream().map(name -> "`" + name + "`").collect(Collectors.joining(", "));
        }

        /** "one of none, batch, always", for messages. */
        public String allowed() {
            return "one of " + String.join(", ", names());
        }

        private List<String> names() {
            return Arrays.stream(type.getEnumConstants()).map(this::show).toList();
        }
    }

    /** A type made of a parser, a printer and its own rules. */
    private record Simple<T>(String forms, Function<Object, T> parser, Function<T, String> printer, List<Rule<T>> rules)
            implements ConfigType<T> {

        Simple(String forms, Function<Object, T> parser, Function<T, String> printer) {
            this(forms, parser, printer, List.of());
        }

        @Override
        public T parse(Object raw) {
            return parser.apply(raw);
        }

        @Override
        public String show(T value) {
            return printer.apply(value);
        }
    }
}
