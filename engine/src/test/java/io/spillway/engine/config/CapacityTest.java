package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CapacityTest {

    @ParameterizedTest(name = "''{0}'' prints ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            unlimited  | unlimited
            UNLIMITED  | unlimited
            0          | unlimited
            0 B        | unlimited
            500GiB     | 500 GiB
            1048576    | 1 MiB
            80%        | 80%
            80.0 %     | 80%
            12.5%      | 12.5%
            100%       | 100%
            """)
    void parsesAndPrints(String text, String printed) {
        Capacity capacity = Capacity.parse(text);
        assertEquals(printed, capacity.toString());
        assertEquals(capacity, Capacity.parse(printed), "printed form parses back");
    }

    @Test
    void percentResolvesAgainstTheFileSystemRoundingDown() {
        assertEquals(800, Capacity.parse("80%").resolve(1000));
        assertEquals(8, Capacity.parse("80%").resolve(11)); // 8.8 rounds down: never overshoot
        assertEquals(1000, Capacity.parse("100%").resolve(1000));
        assertEquals(0, Capacity.parse("50%").resolve(0));
        long hugeVolume = (1L << 62) + 3;
        assertEquals(hugeVolume / 4, Capacity.percent(25).resolve(hugeVolume)); // exact, unlike doubles
        assertThrows(IllegalArgumentException.class, () -> Capacity.percent(50).resolve(-1));
    }

    @Test
    void absoluteAndUnlimitedIgnoreTheFileSystem() {
        assertEquals(1L << 30, Capacity.of(ByteSize.ofGiB(1)).resolve(10));
        assertEquals(Long.MAX_VALUE, Capacity.unlimited().resolve(1000));
        assertTrue(Capacity.of(ByteSize.ZERO).isUnlimited());
        assertFalse(Capacity.percent(1).isUnlimited());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0%", "-5%", "100.01%", "abc%", "%", "lots", "-1", "1.5GiB", "", "NaN%"})
    void refusesWithTheAcceptedForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Capacity.parse(text));
        assertTrue(e.getMessage().contains("%"), e.getMessage());
    }

    @Test
    void enumsParseCaseInsensitively() {
        assertEquals(Durability.NONE, Durability.parse("none"));
        assertEquals(Durability.BATCH, Durability.parse(" Batch "));
        assertEquals(Durability.ALWAYS, Durability.parse("ALWAYS"));
        assertEquals(Compression.NONE, Compression.parse("NONE"));
        assertEquals(Compression.LZ4, Compression.parse("Lz4"));
        assertEquals("batch", Durability.BATCH.configName());
        assertEquals("lz4", Compression.LZ4.configName());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durability.parse("sometimes"))
                .getMessage().contains("none, batch, always"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Compression.parse("zstd"))
                .getMessage().contains("none, lz4"));
    }
}
