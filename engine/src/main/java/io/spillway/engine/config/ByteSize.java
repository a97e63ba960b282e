package io.spillway.engine.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An exact, non-negative number of bytes: the unit lives in the type, so a segment size can never be
 * confused with a count of KiB or a number of blocks (Ratis' {@code SizeInBytes} idea).
 *
 * <p>Every unit is binary (1024-based), including {@code K}, {@code KB}, {@code M}, {@code MB}, …: storage
 * sizes here are about alignment and page multiples, and the JVM's own {@code -Xmx2g} convention is
 * binary too, so "64KB" meaning 64 000 bytes would only ever produce misaligned segments.
 *
 * <p>{@link #toString()} prints the largest unit that represents the value exactly ("2 MiB", "1536 B"),
 * and {@link #parse(String)} reads that form back, so a printed config can be pasted into a config file.
 *
 * @param bytes the number of bytes, {@code >= 0}
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

    /** Zero bytes. */
    public static final ByteSize ZERO = new ByteSize(0);

    private static final long KIB = 1L << 10;
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long TIB = 1L << 40;

    /** Units from largest to smallest, as printed by {@link #toString()}. */
    private static final String[] UNIT_NAMES = {"TiB", "GiB", "MiB", "KiB"};
    private static final long[] UNIT_BYTES = {TIB, GIB, MIB, KIB};

    /** A number, an optional space, an optional unit; signs and fractions are caught so they get a clear message. */
    private static final Pattern SYNTAX = Pattern.compile("([+-]?)([0-9][0-9_]*)(\\.[0-9]*)?\\s*([A-Za-z]*)");

    /** The accepted units, as the messages list them. */
    static final String UNITS = "B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (all 1024-based)";

    /** Rejects negative sizes: no configured size may be negative. */
    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size must not be negative, got " + bytes + " bytes");
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public static ByteSize ofKiB(long kib) {
        return scaled(kib, KIB, "KiB");
    }

    public static ByteSize ofMiB(long mib) {
        return scaled(mib, MIB, "MiB");
    }

    public static ByteSize ofGiB(long gib) {
        return scaled(gib, GIB, "GiB");
    }

    public static ByteSize ofTiB(long tib) {
        return scaled(tib, TIB, "TiB");
    }

    /**
     * Parses "1048576", "64 KiB", "2MiB", "1g", "4kb" (units case-insensitive, all binary).
     *
     * @throws IllegalArgumentException for anything else, negative values and values over
     *     {@link Long#MAX_VALUE} bytes; the message says what is accepted
     */
    public static ByteSize parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a size is required, e.g. 64KiB; units: " + UNITS);
        }
        Matcher m = SYNTAX.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size; expected a whole number with an optional unit, e.g. 64KiB; units: " + UNITS);
        }
        if (m.group(1).equals("-")) {
            throw new IllegalArgumentException("a size must not be negative");
        }
        if (m.group(3) != null) {
            throw new IllegalArgumentException("a size must be a whole number of its unit (write 1536KiB, not 1.5MiB)");
        }
        long multiplier = multiplier(m.group(4));
        String digits = m.group(2).replace("_", "");
        try {
            return new ByteSize(Math.multiplyExact(Long.parseLong(digits), multiplier));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("a size must not exceed " + Long.MAX_VALUE + " bytes (8 EiB)", e);
        }
    }

    private static long multiplier(String unit) {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1;
            case "k", "kb", "kib" -> KIB;
            case "m", "mb", "mib" -> MIB;
            case "g", "gb", "gib" -> GIB;
            case "t", "tb", "tib" -> TIB;
            default -> throw new IllegalArgumentException("unknown size unit '" + unit + "'; units: " + UNITS);
        };
    }

    private static ByteSize scaled(long count, long unit, String unitName) {
        try {
            return new ByteSize(Math.multiplyExact(count, unit));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(count + " " + unitName + " exceeds " + Long.MAX_VALUE + " bytes", e);
        }
    }

    /** True when this size is a whole multiple of {@code unit} (which must be positive). */
    public boolean isMultipleOf(ByteSize unit) {
        if (unit.bytes == 0) {
            throw new IllegalArgumentException("cannot test for a multiple of zero bytes");
        }
        return bytes % unit.bytes == 0;
    }

    @Override
    public int compareTo(ByteSize other) {
        return Long.compare(bytes, other.bytes);
    }

    /** The largest binary unit that prints the value exactly: "2 MiB", "4 KiB", "1536 B", "0 B". */
    @Override
    public String toString() {
        for (int i = 0; i < UNIT_BYTES.length; i++) {
            if (bytes != 0 && bytes % UNIT_BYTES[i] == 0) {
                return bytes / UNIT_BYTES[i] + " " + UNIT_NAMES[i];
            }
        }
        return bytes + " B";
    }
}
