package io.spillway.engine.config;

import java.util.Optional;
import java.util.function.Function;

/**
 * The rules that sizes obey: bounds, powers of two, multiples of another key (the alignment), and
 * "at least n times" another key. Each states its bounds once, and both the README's "allowed"
 * column and the error message are phrased from them.
 */
public final class SizeRules {

    private SizeRules() {
    }

    /** {@code min <= value <= max}. */
    public static Rule<ByteSize> between(ByteSize min, ByteSize max) {
        return Rule.of(min + " – " + max, v -> within(v, min, max), "must be between " + min + " and " + max);
    }

    /** {@code value >= min}. */
    public static Rule<ByteSize> atLeast(ByteSize min) {
        return Rule.of("at least " + min, v -> v.compareTo(min) >= 0, "must be at least " + min);
    }

    /** {@code value <= max}. */
    public static Rule<ByteSize> atMost(ByteSize max) {
        return Rule.of("at most " + max, v -> v.compareTo(max) <= 0, "must be at most " + max);
    }

    /** A power of two within bounds; the message gives the bounds in bytes, as such keys print. */
    public static Rule<ByteSize> powerOfTwoBetween(ByteSize min, ByteSize max) {
        return Rule.of("power of two, " + min.bytes() + " – " + max,
                v -> Long.bitCount(v.bytes()) == 1 && within(v, min, max),
                "must be a power of two between " + min.bytes() + " and " + max.bytes() + " (" + max + ")");
    }

    /**
     * A whole multiple of another key's value (declared, so checked, before this one), within bounds.
     * The message quotes that key's value: "must be a multiple of alignment (4096) between 1 MiB and 1 GiB".
     */
    public static Rule<ByteSize> multipleBetween(Key<ByteSize> unit, ByteSize min, ByteSize max) {
        return multipleBetween("`" + unit.name() + "`", s -> unit.name() + " (" + s.get(unit).bytes() + ")",
                s -> s.get(unit), min, max);
    }

    /** A whole multiple of a fixed unit, within bounds: "must be a multiple of 4096 between 1 MiB and 1 GiB". */
    public static Rule<ByteSize> multipleBetween(ByteSize unit, ByteSize min, ByteSize max) {
        String bytes = Long.toString(unit.bytes());
        return multipleBetween(bytes, s -> bytes, s -> unit, min, max);
    }

    private static Rule<ByteSize> multipleBetween(String unitInReadme, Function<Settings, String> unitInMessage,
            Function<Settings, ByteSize> unit, ByteSize min, ByteSize max) {
        return Rule.of(min + " – " + max + ", multiple of " + unitInReadme,
                (v, s) -> v.isMultipleOf(unit.apply(s)) && within(v, min, max),
                s -> "must be a multiple of " + unitInMessage.apply(s) + " between " + min + " and " + max);
    }

    /**
     * At least {@code factor} times another key's value (declared before this one):
     * "must be at least 2 x alignment (8 KiB)".
     */
    public static Rule<ByteSize> atLeastTimes(int factor, Key<ByteSize> other) {
        if (factor < 1) {
            throw new IllegalArgumentException("factor must be at least 1, got " + factor);
        }
        return new Rule<>("at least " + factor + " × `" + other.name() + "`", (v, s) -> {
            long unit = s.get(other).bytes();
            // v / factor >= unit is v >= factor * unit without the overflow of the product.
            if (v.bytes() / factor >= unit) {
                return Optional.empty();
            }
            String product = unit > Long.MAX_VALUE / factor ? "" : " (" + ByteSize.ofBytes(unit * factor) + ")";
            return Optional.of("must be at least " + factor + " x " + other.name() + product);
        });
    }

    private static boolean within(ByteSize size, ByteSize min, ByteSize max) {
        return size.compareTo(min) >= 0 && size.compareTo(max) <= 0;
    }
}
