package io.spillway.engine.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * How much space the store may use: unlimited, an absolute size, or a percentage of the file system
 * that holds a storage backend.
 *
 * <p>A percentage is kept symbolic and only {@linkplain #resolve(long) resolved} against the file
 * system at open, so the same config works on disks of different sizes. Zero ("0", "0 B") means
 * unlimited, as in the seeds' configs, rather than "store nothing".
 */
public sealed interface Capacity {

    /** The text forms {@link #parse(String)} accepts, for error messages. */
    String FORMS = "'unlimited' or 0, a size such as 500GiB, or a percent of the file system such as 80% (0 < p <= 100)";

    /**
     * The capacity in bytes on a file system of {@code fileSystemTotalBytes}; {@link Long#MAX_VALUE}
     * when unlimited. A percentage rounds down, so the store never overshoots it.
     */
    long resolve(long fileSystemTotalBytes);

    /** True when no limit applies. */
    default boolean isUnlimited() {
        return this instanceof Unlimited;
    }

    static Capacity unlimited() {
        return Unlimited.INSTANCE;
    }

    /** An absolute capacity; zero means unlimited. */
    static Capacity of(ByteSize size) {
        return size.bytes() == 0 ? unlimited() : new Absolute(size);
    }

    /** A share of the file system, {@code 0 < percent <= 100}. */
    static Capacity percent(double percent) {
        return new Percent(percent);
    }

    /**
     * Parses "unlimited", "0", "500GiB", "1099511627776", "80%" or "12.5 %".
     *
     * @throws IllegalArgumentException with a message listing the accepted forms
     */
    static Capacity parse(String text) {
        String s = text == null ? "" : text.strip();
        if (s.equalsIgnoreCase("unlimited")) {
            return unlimited();
        }
        if (s.endsWith("%")) {
            String number = s.substring(0, s.length() - 1).strip();
            try {
                return percent(new BigDecimal(number).doubleValue());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be " + FORMS, e);
            }
        }
        try {
            return of(ByteSize.parse(s));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be " + FORMS, e);
        }
    }

    /** No limit: the store grows until the file system is full. */
    record Unlimited() implements Capacity {
        static final Unlimited INSTANCE = new Unlimited();

        @Override
        public long resolve(long fileSystemTotalBytes) {
            return Long.MAX_VALUE;
        }

        @Override
        public String toString() {
            return "unlimited";
        }
    }

    /** A fixed size, whatever the file system's size. */
    record Absolute(ByteSize size) implements Capacity {
        public Absolute {
            if (size.bytes() == 0) {
                throw new IllegalArgumentException("an absolute capacity must be positive; use Capacity.unlimited()");
            }
        }

        @Override
        public long resolve(long fileSystemTotalBytes) {
            return size.bytes();
        }

        @Override
        public String toString() {
            return size.toString();
        }
    }

    /** A share of the file system's total size. */
    record Percent(double percent) implements Capacity {
        public Percent {
            if (!(percent > 0 && percent <= 100)) {
                throw new IllegalArgumentException("a percentage of the file system must be > 0% and <= 100%");
            }
        }

        /** Exact decimal arithmetic: {@code total * p / 100} in doubles would lose bytes on large volumes. */
        @Override
        public long resolve(long fileSystemTotalBytes) {
            if (fileSystemTotalBytes < 0) {
                throw new IllegalArgumentException("file system size must not be negative: " + fileSystemTotalBytes);
            }
            return BigDecimal.valueOf(fileSystemTotalBytes)
                    .multiply(BigDecimal.valueOf(percent))
                    .divide(BigDecimal.valueOf(100), 0, RoundingMode.FLOOR)
                    .longValueExact();
        }

        @Override
        public String toString() {
            return BigDecimal.valueOf(percent).stripTrailingZeros().toPlainString().toLowerCase(Locale.ROOT) + "%";
        }
    }
}
