package io.spillway.engine.config;

import java.math.BigInteger;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Converts a raw value, as SnakeYAML produced it (String, Integer, Long, BigInteger, Double,
 * Boolean, List, Map, null) or as an environment variable holds it (String), into a typed value.
 *
 * <p>Each method throws {@link IllegalArgumentException} with only the problem ("must be a boolean:
 * true/false/yes/no/1/0"); {@link Settings.Builder#apply} adds the key, the value and the source.
 * Format is checked here; ranges are rules, checked once at build for every source alike.
 */
final class ConfigValues {

    static final String SIZE_FORMS = "a size such as 64KiB, 2MiB or 1048576";
    static final String DURATION_FORMS = "a duration such as 0, 90s, 30m or 24h";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private ConfigValues() {
    }

    static ByteSize size(Object raw) {
        return switch (raw) {
            case Integer i -> ByteSize.ofBytes(i);
            case Long l -> ByteSize.ofBytes(l);
            case BigInteger b -> throw new IllegalArgumentException("a size must not exceed " + Long.MAX_VALUE + " bytes (8 EiB)");
            case String s -> ByteSize.parse(s);
            case null, default -> throw wrongType(raw, SIZE_FORMS);
        };
    }

    /** An int; {@code range} only phrases the message when the text is not an int at all. */
    static int integer(Object raw, IntRange range) {
        long value = switch (raw) {
            case Integer i -> i;
            case Long l -> l;
            case BigInteger b -> throw new IllegalArgumentException(range.requirement());
            case String s -> parseLong(s.strip(), range);
            case null, default -> throw wrongType(raw, "an integer");
        };
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(range.requirement());
        }
        return (int) value; // the range itself is checked at build(), after every source is applied
    }

    private static long parseLong(String s, IntRange range) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(range.requirement(), e);
        }
    }

    /** YAML's own booleans, or true/false/yes/no/1/0 in any case. */
    static boolean bool(Object raw) {
        return switch (raw) {
            case Boolean b -> b;
            case Integer i when i == 0 || i == 1 -> i == 1;
            case String s -> switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0" -> false;
                default -> throw new IllegalArgumentException("must be a boolean: true/false/yes/no/1/0");
            };
            case null, default -> throw wrongType(raw, "a boolean: true/false/yes/no/1/0");
        };
    }

    static Path path(Object raw) {
        if (!(raw instanceof String s)) {
            throw wrongType(raw, "a directory path");
        }
        return toPath(s);
    }

    /**
     * A YAML list of strings, or one string holding a comma-separated list (the environment's form,
     * also accepted in YAML so a value can be copied between the two). A directory whose name holds a
     * comma can only be given as a YAML list item.
     */
    static List<Path> pathList(Object raw) {
        List<Path> paths = new ArrayList<>();
        switch (raw) {
            case String s -> {
                for (String part : s.split(",", -1)) {
                    paths.add(toPath(part));
                }
            }
            case List<?> list -> {
                for (Object item : list) {
                    if (!(item instanceof String s)) {
                        throw wrongType(item, "a list of directory paths, each a string");
                    }
                    paths.add(toPath(s));
                }
            }
            case null, default -> throw wrongType(raw, "a list of directories, or one comma-separated string");
        }
        return List.copyOf(paths);
    }

    private static Path toPath(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("a directory path must not be empty");
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("not a valid path: " + e.getReason(), e);
        }
    }

    static Capacity capacity(Object raw) {
        return switch (raw) {
            case Integer i -> Capacity.of(ByteSize.ofBytes(i));
            case Long l -> Capacity.of(ByteSize.ofBytes(l));
            case String s -> Capacity.parse(s);
            case null, default -> throw wrongType(raw, Capacity.FORMS);
        };
    }

    /** A number such as 0.9 (YAML float), or its text. */
    static double fraction(Object raw) {
        return switch (raw) {
            case Double d -> d;
            case Integer i -> i;
            case Long l -> l;
            case String s -> {
                try {
                    yield Double.parseDouble(s.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("must be a number such as 0.9", e);
                }
            }
            case null, default -> throw wrongType(raw, "a number such as 0.9");
        };
    }

    /** Milliseconds as a number, or a number with a unit: ms, s, m, h, d ("90s", "24h"); "0" or "off" is zero. */
    static Duration duration(Object raw) {
        String text = switch (raw) {
            case Integer i -> i + "ms";
            case Long l -> l + "ms";
            case String s -> s.strip().toLowerCase(Locale.ROOT);
            case null, default -> throw wrongType(raw, DURATION_FORMS);
        };
        if (text.equals("off") || text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("must be " + DURATION_FORMS);
        }
        String unit = m.group(2) == null ? "ms" : m.group(2);
        try {
            long n = Long.parseLong(m.group(1));
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("a duration must not exceed " + Long.MAX_VALUE + " seconds", e);
        }
    }

    /**
     * Prints a duration so that {@link #duration} reads it back: "0", or whole seconds, or
     * milliseconds; a finer or huge value (only code can set one, and its rule refuses it) prints
     * in ISO form for the message.
     */
    static String showDuration(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (!isWholeMillis(d)) {
            return d.toString();
        }
        return d.toNanosPart() == 0 ? d.getSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Whole milliseconds as a bare number ("30000"), which a {@code _ms} key reads back; ISO form otherwise. */
    static String showMillis(Duration d) {
        return isWholeMillis(d) ? Long.toString(d.toMillis()) : d.toString();
    }

    /** True when {@code d} is a whole number of milliseconds that fits a long. */
    static boolean isWholeMillis(Duration d) {
        if (d.toNanosPart() % 1_000_000 != 0) {
            return false;
        }
        try {
            d.toMillis();
            return true;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    /** Hours, minutes or seconds, the largest that is exact, for messages: "24 h", "90 s", "1500 ms". */
    static String showHuman(Duration d) {
        long millis = d.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + " h";
        }
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + " min";
        }
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** The text of an enum-like value; anything but a string is the wrong type. */
    static String string(Object raw, String expected) {
        if (raw instanceof String s) {
            return s;
        }
        throw wrongType(raw, expected);
    }

    /** The value as the user wrote it, for messages: YAML scalars print as written, collections as [a, b]. */
    static String show(Object raw) {
        return switch (raw) {
            case null -> "";
            case Collection<?> c -> c.stream().map(ConfigValues::show).collect(Collectors.joining(", ", "[", "]"));
            case Map<?, ?> m -> m.entrySet().stream().map(e -> show(e.getKey()) + ": " + show(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
            default -> raw.toString();
        };
    }

    private static IllegalArgumentException wrongType(Object raw, String expected) {
        String got = switch (raw) {
            case null -> "no value (remove the key to get the default)";
            case List<?> l -> "a list";
            case Map<?, ?> m -> "a mapping";
            case Boolean b -> "a boolean";
            case Double d -> "a fractional number";
            case Number n -> "a number";
            case String s -> "a string";
            default -> "a " + raw.getClass().getSimpleName();
        };
        return new IllegalArgumentException("expected " + expected + ", got " + got);
    }
}
