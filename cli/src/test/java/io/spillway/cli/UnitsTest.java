package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void formatsRatesAndSizes() {
        assertEquals("1.00 GB/s", Units.gbPerSecond(2_000_000_000L, Duration.ofSeconds(2)));
        assertEquals("2.0 MiB", Units.bytes(2 << 20));
        assertEquals("1.50 ms", Units.millis(Duration.ofNanos(1_500_000)));
    }
}
