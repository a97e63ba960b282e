package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuConfigTest {

    @Test
    void parsesEveryKeyWithUnits() {
        GpuConfig c = GpuConfig.fromMap(Map.of("device", 1, "max_staging_memory", "1GiB", "staging_buffer_size", "64MiB",
                "copy_streams", "8", "use_kernel_copy_read", true, "use_kernel_copy_write", "true", "use_cufile", "false"));
        assertEquals(1, c.device());
        assertEquals(1L << 30, c.maxStagingMemory());
        assertEquals(64L << 20, c.stagingBufferSize());
        assertEquals(8, c.copyStreams());
        assertTrue(c.useKernelCopyRead());
        assertTrue(c.useKernelCopyWrite());
        assertFalse(c.useCufile());
        assertEquals(Map.of("device", "1", "staging_buffer_size", "64 MiB", "max_staging_memory", "1 GiB",
                "copy_streams", "8", "use_kernel_copy_read", "true", "use_kernel_copy_write", "true", "use_cufile", "false"),
                c.describe());
    }

    @Test
    void absentKeysKeepDefaults() {
        GpuConfig d = GpuConfig.defaults();
        assertEquals(d, GpuConfig.fromMap(Map.of()));
        assertEquals(d.hashCode(), GpuConfig.fromMap(Map.of()).hashCode());
        assertEquals(0, d.device());
        assertEquals(512L << 20, d.maxStagingMemory());
        assertEquals(32L << 20, d.stagingBufferSize());
        assertEquals(4, d.copyStreams());
        assertTrue(d.useCufile(), "GDS is tried unless use_cufile: false");
        assertFalse(d.useKernelCopyRead(), "DMA is the default copy");
        assertFalse(d.useKernelCopyWrite());
    }

    @Test
    void describedValuesParseBack() {
        GpuConfig c = GpuConfig.defaults().withStaging(96L << 20, 3L << 20).withKernelCopy(true, false).withCufile(false);
        assertEquals(c, GpuConfig.fromMap(c.describe()));
    }

    @Test
    void withersReplaceOnlyTheirKeys() {
        GpuConfig c = GpuConfig.defaults().withStaging(8L << 20, 2L << 20);
        assertEquals(8L << 20, c.maxStagingMemory());
        assertEquals(2L << 20, c.stagingBufferSize());
        assertEquals(GpuConfig.defaults().copyStreams(), c.copyStreams());
        GpuConfig k = c.withKernelCopy(true, false);
        assertTrue(k.useKernelCopyRead());
        assertFalse(k.useKernelCopyWrite());
        assertEquals(8L << 20, k.maxStagingMemory());
        assertFalse(k.withCufile(false).useCufile());
        assertTrue(k.useCufile(), "a wither returns a new config");
    }

    @Test
    void badValuesNameKeyValueAndAllowed() {
        ConfigException e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("use_cufile", "maybe")));
        assertEquals("config key 'use_cufile' = 'maybe' (from gpu config) is invalid: must be a boolean: true/false/yes/no/1/0",
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("staging_buffer_size", "3000")));
        assertEquals("config key 'staging_buffer_size' = '3000' (from gpu config) is invalid: "
                + "must be a multiple of 4096 between 1 MiB and 1 GiB", e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> GpuConfig.fromMap(Map.of("max_staging_memory", "32MiB", "staging_buffer_size", "32MiB")));
        assertEquals("config key 'max_staging_memory' = '32MiB' (from gpu config) is invalid: "
                + "must be at least 2 x staging_buffer_size (64 MiB)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("max_staging_memory", "257GiB")));
        assertTrue(e.getMessage().endsWith("must be at most 256 GiB"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("device", 64)));
        assertTrue(e.getMessage().endsWith("must be an integer between 0 and 63"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("copy_streams", 1.5)));
        assertEquals("copy_streams", e.key(), "a fraction is refused, not truncated");
        e = assertThrows(ConfigException.class, () -> GpuConfig.fromMap(Map.of("use_gds", true)));
        assertEquals("use_gds", e.key());
        assertTrue(e.getMessage().contains("unknown key; known keys are device, staging_buffer_size,"), e.getMessage());
    }

    @Test
    void withStagingRefusesBadSizesInCode() {
        ConfigException e = assertThrows(ConfigException.class, () -> GpuConfig.defaults().withStaging(-1, 2L << 20));
        assertEquals("config key 'max_staging_memory' = '-1' is invalid: a size must not be negative", e.getMessage());
        e = assertThrows(ConfigException.class, () -> GpuConfig.defaults().withStaging(4L << 20, 4L << 20));
        assertEquals("config key 'max_staging_memory' = '4 MiB' is invalid: must be at least 2 x staging_buffer_size (8 MiB)",
                e.getMessage());
    }
}
