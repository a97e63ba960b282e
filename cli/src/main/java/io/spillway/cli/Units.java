package io.spillway.cli;

import io.spillway.cli.bench.Latencies;
import io.spillway.engine.config.ByteSize;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine;

/** Formatting of rates, sizes and durations for the CLI's output. */
final class Units {

    private Units() {
    }

    /** Decimal GB per second (as fio's bw_bytes / 1e9), e.g. "1.23 GB/s". */
    static String gbPerSecond(long bytes, Duration wall) {
        return String.format(Locale.ROOT, "%.2f GB/s", gbps(bytes, wall));
    }

    static double gbps(long bytes, Duration wall) {
        double seconds = Math.max(wall.toNanos(), 1) / 1e9;
        return bytes / 1e9 / seconds;
    }

    /** "12.3 ms" with three significant-ish digits. */
    static String millis(Duration d) {
        return Latencies.millis(d);
    }

    /** "3.21 s". */
    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }

    /** Binary units with one decimal: "352.0 MiB", "1.5 GiB", "512 B". */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Lets picocli options take sizes like {@code 2MiB} or {@code 4g}. */
    static final class ByteSizeConverter implements CommandLine.ITypeConverter<ByteSize> {
        @Override
        public ByteSize convert(String value) {
            try {
                return ByteSize.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }
    }

    /** Lets picocli options take a {@link ModelPreset} by its id. */
    static final class ModelConverter implements CommandLine.ITypeConverter<ModelPreset> {
        @Override
        public ModelPreset convert(String value) {
            try {
                return ModelPreset.byId(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Completion candidates for {@code --model}, shown in the help. */
    static final class ModelIds implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(ModelPreset.values()).map(ModelPreset::id).iterator();
        }
    }
}
