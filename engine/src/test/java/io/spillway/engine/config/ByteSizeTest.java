package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest(name = "''{0}'' = {1} bytes")
    @CsvSource(delimiter = '|', textBlock = """
            0           | 0
            1048576     | 1048576
            1536 B      | 1536
            1536b       | 1536
            64 KiB      | 65536
            64KiB       | 65536
            4k          | 4096
            4KB         | 4096
            4kib        | 4096
            2MiB        | 2097152
            2 mb        | 2097152
            2M          | 2097152
            1g          | 1073741824
            1 GB        | 1073741824
            1GiB        | 1073741824
            3 T         | 3298534883328
            3tb         | 3298534883328
            3 TiB       | 3298534883328
            '  8 MiB  ' | 8388608
            9223372036854775807 | 9223372036854775807
            """)
    void parses(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text).bytes());
    }

    @ParameterizedTest(name = "{0} bytes prints ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            0             | 0 B
            1             | 1 B
            1536          | 1536 B
            4096          | 4 KiB
            2097152       | 2 MiB
            1073741824    | 1 GiB
            3298534883328 | 3 TiB
            3221225472    | 3 GiB
            1073745920    | 1048580 KiB
            """)
    void printsMostCompactExactUnit(long bytes, String text) {
        ByteSize size = ByteSize.ofBytes(bytes);
        assertEquals(text, size.toString());
        assertEquals(size, ByteSize.parse(text), "printed form parses back");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "abc", "KiB", "1.5MiB", "-1", "-4KiB", "4 XB", "4 KiBs", "1e6", "0x10",
            "9223372036854775808", "8589934592 GiB", "99999999999999999999"})
    void refusesWithAMessage(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void messagesSayWhatIsWrong() {
        assertTrue(message("-1").contains("negative"));
        assertTrue(message("9223372036854775808").contains("exceed"));
        assertTrue(message("8589934592 GiB").contains("exceed"));
        assertTrue(message("4 XB").contains("unknown size unit 'XB'"));
        assertTrue(message("1.5MiB").contains("1536KiB"));
    }

    private static String message(String text) {
        return assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text)).getMessage();
    }

    @Test
    void factories() {
        assertEquals(1024, ByteSize.ofKiB(1).bytes());
        assertEquals(3L << 20, ByteSize.ofMiB(3).bytes());
        assertEquals(5L << 30, ByteSize.ofGiB(5).bytes());
        assertEquals(1L << 40, ByteSize.ofTiB(1).bytes());
        assertThrows(IllegalArgumentException.class, () -> ByteSize.ofBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.ofGiB(Long.MAX_VALUE / 1024));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.ofKiB(-1));
    }

    @Test
    void multiplesAndOrder() {
        assertTrue(ByteSize.ofMiB(1).isMultipleOf(ByteSize.ofKiB(4)));
        assertFalse(ByteSize.ofBytes(4097).isMultipleOf(ByteSize.ofKiB(4)));
        assertTrue(ByteSize.ofKiB(4).compareTo(ByteSize.ofMiB(1)) < 0);
    }
}
