package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every key refuses its bad values, whether they fail to parse or fall out of range, naming key and value. */
class BadValuesTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "SPILLWAY_{0}=''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            storage_backends    | ''
            storage_backends    | ' , '
            storage_backends    | /a,,/b
            storage_backends    | /a,/a
            index_path          | ''
            index_path          | '  '
            kv_block_size       | 2KiB
            kv_block_size       | 512MiB
            kv_block_size       | abc
            kv_block_size       | -1
            kv_block_size       | 1.5MiB
            kv_block_size       | 2 XB
            alignment           | 256
            alignment           | 3000
            alignment           | 4097
            alignment           | 2MiB
            alignment           | 0
            io_direct           | maybe
            io_direct           | 2
            io_direct           | ''
            stream_number       | 0
            stream_number       | 257
            stream_number       | -1
            stream_number       | four
            stream_number       | 1.5
            stream_number       | 99999999999
            waiting_queue_depth | 0
            waiting_queue_depth | 1000001
            running_queue_depth | 0
            running_queue_depth | 100001
            load_queue_depth    | 0
            load_queue_depth    | 4097
            load_io_engine      | io-uring
            load_io_engine      | 3
            timeout_ms          | 0
            timeout_ms          | 86400001
            timeout_ms          | 30s
            timeout_ms          | -5
            write_group_size    | 512KiB
            write_group_size    | 2GiB
            write_group_size    | 1049000
            write_group_size    | 0
            capacity            | 0%
            capacity            | 101%
            capacity            | -5%
            capacity            | lots
            capacity            | -1
            segment_size        | 3
            segment_size        | 512KiB
            segment_size        | 65GiB
            segment_size        | 1048577
            segment_size        | 99999999999 TiB
            durability          | sometimes
            durability          | ''
            compression         | zstd
            auto_commit         | perhaps
            index_cache_size    | 1MiB
            index_cache_size    | 65GiB
            index_cache_size    | x
            gc_high_watermark   | 0
            gc_high_watermark   | 1.5
            gc_high_watermark   | high
            gc_low_watermark    | 0.95
            gc_low_watermark    | 0
            eviction_policy     | random
            reinsert_hits       | -1
            reinsert_budget_percent | 101
            compaction_threshold | 1
            compaction_threshold | -0.1
            gc_max_bytes_per_sec | 512KiB
            ttl                 | -5s
            ttl                 | soon
            ttl                 | 1.5h
            ttl                 | 99999999999999999h
            store_pipeline      | 'Cash|Disk'
            store_pipeline      | 'Disk|Cache'
            store_pipeline      | ''
            buffer_size         | 512KiB
            buffer_size         | 1MiB
            buffer_size         | 99999TiB
            buffer_size         | lots
            cache_path          | ''
            cache_mlock         | maybe
            cache_verify        | 2
            cache_eviction_policy | clock
            cache_promotion     | sometimes
            cache_writeback_queue | 0
            cache_writeback_queue | 1000001
            """)
    void refusedFromTheEnvironment(String key, String value) {
        Map<String, String> env = key.equals("storage_backends")
                ? Map.of("SPILLWAY_STORAGE_BACKENDS", value)
                : Map.of("SPILLWAY_STORAGE_BACKENDS", "/a", "SPILLWAY_" + key.toUpperCase(), value);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, env).build());
        assertNamesKeyAndValue(e, key, value);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            storage_backends    | []                 | []
            storage_backends    | [1, 2]             | [1, 2]
            storage_backends    | {a: b}             | {a: b}
            storage_backends    | ~                  | ''
            index_path          | [/a]               | [/a]
            index_path          | 12                 | 12
            kv_block_size       | 1024               | 1024
            alignment           | 1.5                | 1.5
            io_direct           | 5                  | 5
            io_direct           | '"maybe"'          | maybe
            stream_number       | 1.5                | 1.5
            stream_number       | 99999999999999999999 | 99999999999999999999
            stream_number       | true               | true
            waiting_queue_depth | [1]                | [1]
            running_queue_depth | -3                 | -3
            timeout_ms          | true               | true
            timeout_ms          | 0                  | 0
            write_group_size    | [16MiB]            | [16MiB]
            buffer_size         | [16MiB]            | [16MiB]
            store_pipeline      | [Cache, Disk]      | [Cache, Disk]
            store_pipeline      | 1                  | 1
            cache_verify        | '"perhaps"'        | perhaps
            capacity            | [80%]              | [80%]
            capacity            | 0.5                | 0.5
            segment_size        | [1, 2]             | [1, 2]
            segment_size        | 3                  | 3
            segment_size        | 99999999999999999999 | 99999999999999999999
            durability          | 1                  | 1
            durability          | ~                  | ''
            compression         | true               | true
            auto_commit         | {x: 1}             | {x: 1}
            index_cache_size    | '"8 Mebibytes"'    | 8 Mebibytes
            index_cache_size    | 7MiB               | 7MiB
            """)
    void refusedFromYaml(String key, String yamlValue, String shown) throws IOException {
        String backends = key.equals("storage_backends") ? "" : "storage_backends: /a\n";
        Path file = Files.writeString(dir.resolve("c.yaml"), backends + key + ": " + yamlValue + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()).build());
        assertNamesKeyAndValue(e, key, shown);
        assertTrue(e.getMessage().contains("(from YAML file " + file + ")"), e.getMessage());
    }

    private static void assertNamesKeyAndValue(ConfigException e, String key, String value) {
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith("config key '" + key + "' = '" + value + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(" is invalid: "), e.getMessage());
    }
}
