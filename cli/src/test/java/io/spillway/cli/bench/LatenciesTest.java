package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatenciesTest {

    @Test
    void nearestRankPercentiles() {
        Latencies l = new Latencies();
        for (int ms = 100; ms >= 1; ms--) { // recorded out of order
            l.record(Duration.ofMillis(ms));
        }
        assertEquals(Duration.ofMillis(50), l.percentile(50));
        assertEquals(Duration.ofMillis(99), l.percentile(99));
        assertEquals(Duration.ofMillis(100), l.percentile(100));
        assertEquals(100, l.count());
    }

    @Test
    void fewValues() {
        Latencies l = new Latencies();
        assertEquals(Duration.ZERO, l.percentile(50));
        l.record(Duration.ofMillis(3));
        assertEquals(Duration.ofMillis(3), l.percentile(50));
        assertEquals(Duration.ofMillis(3), l.percentile(99));
        assertThrows(IllegalArgumentException.class, () -> l.percentile(0));
    }

    @Test
    void mergesAnotherThreadsValues() {
        Latencies a = new Latencies();
        Latencies b = new Latencies();
        a.record(Duration.ofMillis(1));
        b.record(Duration.ofMillis(9));
        a.addAll(b);
        assertEquals(2, a.count());
        assertEquals(Duration.ofMillis(9), a.percentile(99));
    }

    @Test
    void formatsMilliseconds() {
        assertEquals("1.50 ms", Latencies.millis(Duration.ofNanos(1_500_000)));
        assertEquals("12.3 ms", Latencies.millis(Duration.ofNanos(12_300_000)));
        assertEquals("130 ms", Latencies.millis(Duration.ofMillis(130)));
    }
}
