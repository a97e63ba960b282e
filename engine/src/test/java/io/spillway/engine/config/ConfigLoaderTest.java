package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        return Files.writeString(dir.resolve("spillway.yaml"), text);
    }

    @Test
    void loadsEveryKeyFromYaml() throws IOException {
        Path file = yaml("""
                storage_backends:
                  - /nvme0/spillway
                  - /nvme1/spillway
                index_path: /ssd/index
                kv_block_size: 64KiB
                alignment: 512
                io_direct: no
                stream_number: 8
                waiting_queue_depth: 2048
                running_queue_depth: "128"
                timeout_ms: 5000
                write_group_size: 4 MiB
                capacity: 80%
                segment_size: 268435456
                durability: ALWAYS
                compression: lz4
                auto_commit: false
                index_cache_size: 1g
                """);
        StoreConfig c = ConfigLoader.load(file, Map.of()).build();
        assertEquals(List.of(Path.of("/nvme0/spillway"), Path.of("/nvme1/spillway")), c.storageBackends());
        assertEquals(Path.of("/ssd/index"), c.indexPath());
        assertEquals(ByteSize.ofKiB(64), c.kvBlockSize());
        assertEquals(ByteSize.ofBytes(512), c.alignment());
        assertFalse(c.ioDirect());
        assertEquals(8, c.streamNumber());
        assertEquals(2048, c.waitingQueueDepth());
        assertEquals(128, c.runningQueueDepth());
        assertEquals(Duration.ofSeconds(5), c.timeout());
        assertEquals(ByteSize.ofMiB(4), c.writeGroupSize());
        assertEquals(Capacity.percent(80), c.capacity());
        assertEquals(ByteSize.ofMiB(256), c.segmentSize());
        assertEquals(Durability.ALWAYS, c.durability());
        assertEquals(Compression.LZ4, c.compression());
        assertFalse(c.autoCommit());
        assertEquals(ByteSize.ofGiB(1), c.indexCacheSize());
    }

    @Test
    void storageBackendsMayBeOneString() throws IOException {
        assertEquals(List.of(Path.of("/a")), ConfigLoader.load(yaml("storage_backends: /a\n"), Map.of()).build().storageBackends());
        assertEquals(List.of(Path.of("/a"), Path.of("/b")),
                ConfigLoader.load(yaml("storage_backends: /a, /b\n"), Map.of()).build().storageBackends());
    }

    @Test
    void emptyFileAndNoFileGiveDefaults() throws IOException {
        Map<String, String> env = Map.of("SPILLWAY_STORAGE_BACKENDS", "/a");
        StoreConfig expected = StoreConfig.builder().storageBackend(Path.of("/a")).build();
        assertEquals(expected, ConfigLoader.load(yaml(""), env).build());
        assertEquals(expected, ConfigLoader.load(null, env).build());
    }

    @Test
    void envOverridesYaml() throws IOException {
        Path file = yaml("""
                storage_backends: [/yaml]
                segment_size: 64MiB
                io_direct: true
                """);
        StoreConfig c = ConfigLoader.load(file, Map.of(
                "SPILLWAY_SEGMENT_SIZE", "256MiB",
                "SPILLWAY_STORAGE_BACKENDS", "/a,/b",
                "SPILLWAY_IO_DIRECT", "0")).build();
        assertEquals(ByteSize.ofMiB(256), c.segmentSize());
        assertEquals(List.of(Path.of("/a"), Path.of("/b")), c.storageBackends());
        assertFalse(c.ioDirect());
    }

    @Test
    void builderOverridesEnv() throws IOException {
        Path file = yaml("segment_size: 64MiB\nstorage_backends: /yaml\n");
        StoreConfig c = ConfigLoader.load(file, Map.of("SPILLWAY_SEGMENT_SIZE", "256MiB"))
                .segmentSize(ByteSize.ofMiB(16))
                .build();
        assertEquals(ByteSize.ofMiB(16), c.segmentSize());
        assertEquals(List.of(Path.of("/yaml")), c.storageBackends());
    }

    @Test
    void anOutOfRangeFileValueCanBeOverriddenBeforeBuild() throws IOException {
        Path file = yaml("storage_backends: /a\nstream_number: 100000\n");
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()).build());
        assertEquals(3, ConfigLoader.load(file, Map.of("SPILLWAY_STREAM_NUMBER", "3")).build().streamNumber());
    }

    @Test
    void messagesNameTheSourceOfALoadedValue() throws IOException {
        ConfigException fromEnv = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                Map.of("SPILLWAY_STORAGE_BACKENDS", "/a", "SPILLWAY_SEGMENT_SIZE", "3")).build());
        assertEquals("config key 'segment_size' = '3' (from environment variable SPILLWAY_SEGMENT_SIZE) is invalid: "
                + "must be a multiple of alignment (4096) between 1 MiB and 64 GiB", fromEnv.getMessage());

        Path file = yaml("storage_backends: /a\nsegment_size: 3\n");
        ConfigException fromFile = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()).build());
        assertTrue(fromFile.getMessage().startsWith(
                "config key 'segment_size' = '3' (from YAML file " + file + ") is invalid: must be a multiple"),
                fromFile.getMessage());

        // A bad value set in code after loading is reported as the code's, not the file's.
        ConfigException fromCode = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, Map.of()).segmentSize(ByteSize.ofKiB(5)).build());
        assertTrue(fromCode.getMessage().startsWith("config key 'segment_size' = '5 KiB' is invalid"), fromCode.getMessage());
    }

    @Test
    void unknownYamlKeyIsRefusedListingTheKnownKeys() throws IOException {
        Path file = yaml("storage_backends: /a\nsegmnet_size: 1GiB\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));
        assertEquals("segmnet_size", e.key());
        assertTrue(e.getMessage().contains("'segmnet_size' = '1GiB'"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key; known keys are storage_backends, index_path,"), e.getMessage());
        assertTrue(e.getMessage().contains("segment_size"), e.getMessage());
    }

    @Test
    void missingFileIsRefused() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, Map.of()));
        assertEquals(ConfigException.CONFIG_FILE, e.key());
        assertEquals(missing.toString(), e.value());
        assertTrue(e.getMessage().endsWith("not found"), e.getMessage());
    }

    @Test
    void malformedFilesAreRefused() throws IOException {
        for (String text : List.of("- a\n- b\n", "just a string\n", "segment_size: [1\n",
                "segment_size: 1GiB\nsegment_size: 2GiB\n", "._", "segment_size: ._\n")) { // "._": a Jazzer finding
            Path file = yaml(text);
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()), text);
            assertEquals(ConfigException.CONFIG_FILE, e.key(), e.getMessage());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
        ConfigException isDir = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir, Map.of()));
        assertTrue(isDir.getMessage().contains("directory"), isDir.getMessage());
    }

    @Test
    void yamlRefusesArbitraryJavaTypes() throws IOException {
        Path file = yaml("storage_backends: !!java.io.File [\"/a\"]\n");
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of()));
    }

    @Test
    void unknownEnvVariablesAreWarnedOnceEachAndLauncherOnesIgnored() {
        List<String> warnings = new ArrayList<>();
        Map<String, String> env = new HashMap<>(Map.of(
                "SPILLWAY_STORAGE_BACKENDS", "/a",
                "SPILLWAY_SEGMNET_SIZE", "1GiB",
                "SPILLWAY_FOO", "x",
                "SPILLWAY_HOME", "/opt/spillway",
                "SPILLWAY_JAVA", "/usr/bin/java",
                "SPILLWAY_JAVA_OPTS", "-Xmx1g",
                "PATH", "/usr/bin",
                "spillway_segment_size", "3"));
        StoreConfig c = ConfigLoader.load(null, env, warnings::add).build();
        assertEquals(ByteSize.ofGiB(1), c.segmentSize());
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("SPILLWAY_FOO"), warnings.toString());
        assertTrue(warnings.get(1).contains("SPILLWAY_SEGMNET_SIZE"), warnings.toString());
    }

    @Test
    void booleansAcceptTheUsualSpellings() {
        Map<String, Boolean> spellings = Map.of("true", true, "FALSE", false, "yes", true, "No", false, "1", true, "0", false);
        spellings.forEach((text, expected) -> assertEquals(expected, ConfigLoader.load(null,
                Map.of("SPILLWAY_STORAGE_BACKENDS", "/a", "SPILLWAY_AUTO_COMMIT", text)).build().autoCommit(), text));
    }

    @Test
    void describedValuesLoadBackToAnEqualConfig() {
        StoreConfig original = StoreConfig.builder()
                .storageBackends(List.of(Path.of("/a"), Path.of("/b"))).kvBlockSize(ByteSize.ofBytes(5000))
                .capacity(Capacity.percent(12.5)).timeout(Duration.ofMillis(7)).durability(Durability.NONE)
                .compression(Compression.LZ4).segmentSize(ByteSize.ofMiB(3)).build();
        Map<String, String> env = new HashMap<>();
        original.describe().forEach((key, value) -> env.put("SPILLWAY_" + key.toUpperCase(), value));
        assertEquals(original, ConfigLoader.load(null, env).build());
    }
}
