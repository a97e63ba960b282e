package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    }

    @Test
    void absentKeysKeepDefaults() {
        assertEquals(GpuConfig.defaults(), GpuConfig.fromMap(Map.of()));
        assertTrue(GpuConfig.defaults().useCufile(), "GDS is tried unless use_cufile: false");
        assertFalse(GpuConfig.defaults().useKernelCopyRead(), "DMA is the default copy");
    }

    @Test
    void badValuesNameKeyValueAndAllowed() {
        var e = assertThrows(IllegalArgumentException.class, () -> GpuConfig.fromMap(Map.of("use_cufile", "maybe")));
        assertTrue(e.getMessage().contains("use_cufile") && e.getMessage().contains("maybe")
                && e.getMessage().contains("true, false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GpuConfig.fromMap(Map.of("staging_buffer_size", "3000")));
        assertTrue(e.getMessage().contains("staging_buffer_size") && e.getMessage().contains("1 MiB"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GpuConfig.fromMap(Map.of("max_staging_memory", "32MiB", "staging_buffer_size", "32MiB")));
        assertTrue(e.getMessage().contains("2 x staging_buffer_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GpuConfig.fromMap(Map.of("use_gds", true)));
        assertTrue(e.getMessage().contains("use_gds"), e.getMessage());
    }
}
