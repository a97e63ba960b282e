package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The declaration scheme itself, on a schema of its own: what one declaration gives, and what it refuses. */
class ConfigSchemaTest {

    /** A small config as a component would declare it: every behaviour below follows from these lines. */
    static final class Demo {
        private static final ConfigSchema.Declarations KEYS = ConfigSchema.declarations("Demo");
        static final Key<ByteSize> PAGE = KEYS.key("page", ConfigTypes.sizeInBytes())
                .byDefault(ByteSize.ofKiB(4))
                .rule(SizeRules.powerOfTwoBetween(ByteSize.ofBytes(512), ByteSize.ofKiB(64)))
                .doc("page size");
        static final Key<ByteSize> ARENA = KEYS.key("arena", ConfigTypes.size())
                .byDefault("64 × `page`", earlier -> ByteSize.ofBytes(64 * earlier.get(PAGE).bytes()))
                .rule(SizeRules.multipleBetween(PAGE, ByteSize.ofKiB(32), ByteSize.ofGiB(1)))
                .doc("the arena | pipes are escaped");
        static final Key<Integer> WAYS = KEYS.key("ways", ConfigTypes.integer(1, 16))
                .byDefault(2)
                .doc("ways");
        static final ConfigSchema SCHEMA = KEYS.schema();
    }

    @Test
    void aDeclarationGivesParsingDefaultsDescribeAndTheTable() {
        Settings defaults = Demo.SCHEMA.builder().build();
        assertEquals(Map.of("page", "4096", "arena", "256 KiB", "ways", "2"), defaults.describe());
        assertEquals(List.of("page", "arena", "ways"), List.copyOf(defaults.describe().keySet()));

        Settings loaded = Demo.SCHEMA.builder().applyAll(Map.of("page", "8KiB", "ways", 3), "test map").build();
        assertEquals(ByteSize.ofKiB(8), loaded.get(Demo.PAGE));
        assertEquals(ByteSize.ofKiB(512), loaded.get(Demo.ARENA), "a derived default follows the key it reads");
        assertEquals(3, loaded.get(Demo.WAYS));
        assertEquals(loaded, Demo.SCHEMA.builder().applyAll(loaded.describe(), "describe()").build(), "describe() parses back");

        assertEquals("""
                | key | default | allowed | meaning |
                |---|---|---|---|
                | `page` | `4096` | power of two, 512 – 64 KiB | page size |
                | `arena` | 64 × `page` | 32 KiB – 1 GiB, multiple of `page` | the arena \\| pipes are escaped |
                | `ways` | `2` | 1 – 16 | ways |
                """, ConfigTable.markdown(Demo.SCHEMA));
        assertEquals("SPILLWAY_ARENA", Demo.ARENA.envName());
    }

    @Test
    void errorsNameKeyValueSourceAndWhatIsAllowed() {
        ConfigException parse = assertThrows(ConfigException.class,
                () -> Demo.SCHEMA.builder().applyAll(Map.of("ways", "many"), "test map"));
        assertEquals("config key 'ways' = 'many' (from test map) is invalid: must be an integer between 1 and 16", parse.getMessage());

        ConfigException range = assertThrows(ConfigException.class,
                () -> Demo.SCHEMA.builder().applyAll(Map.of("ways", 17), "test map").build());
        assertEquals("config key 'ways' = '17' (from test map) is invalid: must be an integer between 1 and 16", range.getMessage());

        ConfigException cross = assertThrows(ConfigException.class,
                () -> Demo.SCHEMA.builder().set(Demo.PAGE, ByteSize.ofKiB(16)).set(Demo.ARENA, ByteSize.ofKiB(40)).build());
        assertEquals("config key 'arena' = '40 KiB' is invalid: must be a multiple of page (16384) between 32 KiB and 1 GiB",
                cross.getMessage());

        ConfigException unknown = assertThrows(ConfigException.class,
                () -> Demo.SCHEMA.builder().applyAll(Map.of("wayz", 2), "test map"));
        assertEquals("config key 'wayz' = '2' (from test map) is invalid: unknown key; known keys are page, arena, ways",
                unknown.getMessage());
    }

    @Test
    void aValueSetInCodeReplacesTheLoadedOneAndItsSource() {
        Settings.Builder b = Demo.SCHEMA.builder().applyAll(Map.of("ways", 99), "test map");
        ConfigException e = assertThrows(ConfigException.class, () -> b.set(Demo.WAYS, 0).build());
        assertEquals("config key 'ways' = '0' is invalid: must be an integer between 1 and 16", e.getMessage());
        assertEquals(5, b.set(Demo.WAYS, 5).build().get(Demo.WAYS));
    }

    @Test
    void toBuilderKeepsSetValuesAndDerivesTheRestAgain() {
        Settings s = Demo.SCHEMA.builder().set(Demo.WAYS, 4).build();
        Settings bigger = s.toBuilder().set(Demo.PAGE, ByteSize.ofKiB(16)).build();
        assertEquals(4, bigger.get(Demo.WAYS));
        assertEquals(ByteSize.ofMiB(1), bigger.get(Demo.ARENA));
    }

    @Test
    void keysOfAnotherSchemaAreRefused() {
        IllegalArgumentException set = assertThrows(IllegalArgumentException.class,
                () -> Demo.SCHEMA.builder().set(StoreKeys.IO_DIRECT, true));
        assertEquals("'io_direct' is not a key of Demo", set.getMessage());
        Settings demo = Demo.SCHEMA.builder().build();
        assertThrows(IllegalArgumentException.class, () -> demo.get(StoreKeys.IO_DIRECT));
        NullPointerException nul = assertThrows(NullPointerException.class, () -> Demo.SCHEMA.builder().set(Demo.PAGE, null));
        assertEquals("page", nul.getMessage());
    }

    @Test
    void aDefaultThatReadsALaterKeyFailsClearly() {
        ConfigSchema.Declarations keys = ConfigSchema.declarations("Backwards");
        AtomicReference<Key<ByteSize>> later = new AtomicReference<>();
        keys.key("first", ConfigTypes.size()).byDefault("from second", earlier -> earlier.get(later.get())).doc("reads a later key");
        later.set(keys.key("second", ConfigTypes.size()).byDefault(ByteSize.ofKiB(4)).doc("declared after"));
        ConfigSchema schema = keys.schema();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> schema.builder().build());
        assertTrue(e.getMessage().contains("'second' is read before it is resolved"), e.getMessage());
    }

    @Test
    void declarationsRefuseMistakes() {
        ConfigSchema.Declarations keys = ConfigSchema.declarations("Broken");
        keys.key("one", ConfigTypes.bool()).byDefault(true).doc("first");
        assertEquals("Broken declares key 'one' twice", assertThrows(IllegalStateException.class,
                () -> keys.key("one", ConfigTypes.bool()).byDefault(false).doc("again")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> keys.key("TwoWords", ConfigTypes.bool()));
        assertThrows(IllegalArgumentException.class, () -> keys.key("two__words", ConfigTypes.bool()));
        assertThrows(IllegalArgumentException.class, () -> keys.key("blank_doc", ConfigTypes.bool()).byDefault(true).doc(" "));
        assertTrue(assertThrows(IllegalStateException.class, () -> keys.key("no_default", ConfigTypes.bool()).doc("x"))
                .getMessage().contains("has no default"));
        assertThrows(IllegalStateException.class,
                () -> keys.key("two_defaults", ConfigTypes.bool()).byDefault(true).byDefault(false));
        keys.schema();
        assertTrue(assertThrows(IllegalStateException.class, () -> keys.key("late", ConfigTypes.bool()).byDefault(true).doc("x"))
                .getMessage().contains("declared after the schema was built"));
    }

    @Test
    void rulesRunInOrderAndTheFirstBrokenOneIsReported() {
        ConfigSchema.Declarations keys = ConfigSchema.declarations("Ordered");
        Key<ByteSize> size = keys.key("size", ConfigTypes.size()).byDefault(ByteSize.ofKiB(4))
                .rule(SizeRules.atLeast(ByteSize.ofKiB(2)))
                .rule(SizeRules.atMost(ByteSize.ofKiB(8)))
                .doc("bounded twice");
        Key<ByteSize> big = keys.key("big", ConfigTypes.size()).byDefault(ByteSize.ofGiB(1))
                .rule(SizeRules.atLeastTimes(3, size))
                .doc("three sizes at least");
        ConfigSchema schema = keys.schema();
        assertEquals("at least 2 KiB, at most 8 KiB", size.allowed());
        assertTrue(assertThrows(ConfigException.class, () -> schema.builder().set(size, ByteSize.ofKiB(1)).build())
                .getMessage().endsWith("must be at least 2 KiB"));
        assertTrue(assertThrows(ConfigException.class, () -> schema.builder().set(size, ByteSize.ofKiB(9)).build())
                .getMessage().endsWith("must be at most 8 KiB"));
        assertTrue(assertThrows(ConfigException.class, () -> schema.builder().set(big, ByteSize.ofKiB(11)).build())
                .getMessage().endsWith("must be at least 3 x size (12 KiB)"));
    }

    @Test
    void spliceReplacesOnlyTheMarkedTable() {
        String doc = "intro\n" + ConfigTable.beginMarker("t") + "\nold row\n" + ConfigTable.endMarker("t") + "\noutro\n";
        assertEquals("intro\n" + ConfigTable.beginMarker("t") + "\n| new |\n" + ConfigTable.endMarker("t") + "\noutro\n",
                ConfigTable.splice(doc, "t", "| new |\n"));
        assertThrows(IllegalArgumentException.class, () -> ConfigTable.splice("no markers\n", "t", "x"));
        assertThrows(IllegalArgumentException.class, () -> ConfigTable.splice(doc + doc, "t", "x"));
        assertThrows(IllegalArgumentException.class, () -> ConfigTable.splice(doc, "other", "x"));
    }

    @Test
    void storeKeysFollowTheSeedsNames() {
        for (String seedName : List.of("storage_backends", "kv_block_size", "io_direct", "stream_number",
                "waiting_queue_depth", "running_queue_depth", "timeout_ms", "buffer_size")) {
            assertTrue(StoreKeys.SCHEMA.byName(seedName).isPresent(), seedName);
        }
        assertEquals(StoreKeys.STORAGE_BACKENDS, StoreKeys.SCHEMA.byEnvName("SPILLWAY_STORAGE_BACKENDS").orElseThrow());
        assertEquals(List.of(Path.of("/a")), StoreConfig.builder().set(StoreKeys.STORAGE_BACKENDS, List.of(Path.of("/a")))
                .build().get(StoreKeys.STORAGE_BACKENDS));
    }
}
