package io.spillway.gpu;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The GPU component's own settings (kept apart from the engine's {@code StoreConfig}, which a
 * CPU-only deployment never needs to know about).
 *
 * <p>Keys, as in a YAML map or {@link #fromMap}: {@code device}, {@code max_staging_memory},
 * {@code staging_buffer_size}, {@code copy_streams}, {@code use_kernel_copy_read},
 * {@code use_kernel_copy_write} (llm-d's {@code USE_KERNEL_COPY_READ/WRITE}: "read" is a load,
 * storage to GPU; "write" is a dump) and {@code use_cufile}.
 *
 * @param device CUDA device ordinal
 * @param maxStagingMemory bytes of pinned host memory the staging pool may hold
 * @param stagingBufferSize bytes per staging buffer; the pool holds
 *     {@code maxStagingMemory / stagingBufferSize} of them (at least 2, for double buffering)
 * @param copyStreams CUDA streams DMA copies are spread over
 * @param useKernelCopyRead loads scatter staging into the KV cache with the copy kernel, not DMA
 * @param useKernelCopyWrite dumps gather the KV cache into staging with the copy kernel, not DMA
 * @param useCufile try GPUDirect Storage (cuFile) for file-to-device reads; false forces POSIX
 */
public record GpuConfig(int device, long maxStagingMemory, long stagingBufferSize, int copyStreams,
        boolean useKernelCopyRead, boolean useKernelCopyWrite, boolean useCufile) {

    private static final long MIB = 1L << 20;
    private static final Set<String> KEYS = Set.of("device", "max_staging_memory", "staging_buffer_size",
            "copy_streams", "use_kernel_copy_read", "use_kernel_copy_write", "use_cufile");

    /** Defaults: device 0, 512 MiB of staging in 32 MiB buffers, 4 streams, DMA, cuFile on. */
    public static GpuConfig defaults() {
        return new GpuConfig(0, 512 * MIB, 32 * MIB, 4, false, false, true);
    }

    public GpuConfig {
        check("device", device, device >= 0 && device < 64, "0 to 63");
        check("staging_buffer_size", stagingBufferSize, stagingBufferSize >= MIB && stagingBufferSize <= 1024 * MIB
                && stagingBufferSize % 4096 == 0, "1 MiB to 1 GiB, a multiple of 4096");
        check("max_staging_memory", maxStagingMemory, maxStagingMemory >= 2 * stagingBufferSize
                && maxStagingMemory <= 256L * 1024 * MIB, "at least 2 x staging_buffer_size, at most 256 GiB");
        check("copy_streams", copyStreams, copyStreams >= 1 && copyStreams <= 64, "1 to 64");
    }

    /** Builds a config from a key/value map (a YAML section); absent keys keep their defaults. */
    public static GpuConfig fromMap(Map<String, ?> values) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        for (String k : v.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown gpu config key '" + k + "'; allowed: " + KEYS);
            }
        }
        GpuConfig d = defaults();
        return new GpuConfig(
                (int) number(v, "device", d.device),
                bytes(v, "max_staging_memory", d.maxStagingMemory),
                bytes(v, "staging_buffer_size", d.stagingBufferSize),
                (int) number(v, "copy_streams", d.copyStreams),
                bool(v, "use_kernel_copy_read", d.useKernelCopyRead),
                bool(v, "use_kernel_copy_write", d.useKernelCopyWrite),
                bool(v, "use_cufile", d.useCufile));
    }

    public GpuConfig withKernelCopy(boolean read, boolean write) {
        return new GpuConfig(device, maxStagingMemory, stagingBufferSize, copyStreams, read, write, useCufile);
    }

    public GpuConfig withCufile(boolean use) {
        return new GpuConfig(device, maxStagingMemory, stagingBufferSize, copyStreams, useKernelCopyRead,
                useKernelCopyWrite, use);
    }

    public GpuConfig withStaging(long max, long bufferSize) {
        return new GpuConfig(device, max, bufferSize, copyStreams, useKernelCopyRead, useKernelCopyWrite, useCufile);
    }

    private static void check(String key, long value, boolean ok, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("gpu config " + key + " = " + value + " is not allowed; allowed: " + allowed);
        }
    }

    private static long number(Map<String, Object> v, String key, long dflt) {
        Object o = v.get(key);
        if (o == null) {
            return dflt;
        }
        if (o instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(o.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gpu config " + key + " = '" + o + "' is not a whole number");
        }
    }

    private static boolean bool(Map<String, Object> v, String key, boolean dflt) {
        Object o = v.get(key);
        if (o == null) {
            return dflt;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        return switch (o.toString().trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("gpu config " + key + " = '" + o + "' is not allowed; allowed: true, false");
        };
    }

    /** Sizes as a plain byte count or with a binary unit: 512MiB, 2GiB, 64KiB. */
    private static long bytes(Map<String, Object> v, String key, long dflt) {
        Object o = v.get(key);
        if (o == null) {
            return dflt;
        }
        if (o instanceof Number n) {
            return n.longValue();
        }
        String s = o.toString().trim().replace(" ", "");
        long unit = 1;
        for (var u : Map.of("KiB", 1L << 10, "MiB", 1L << 20, "GiB", 1L << 30).entrySet()) {
            if (s.endsWith(u.getKey())) {
                unit = u.getValue();
                s = s.substring(0, s.length() - u.getKey().length());
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(s), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("gpu config " + key + " = '" + o + "' is not allowed; allowed: bytes, or NN KiB/MiB/GiB");
        }
    }
}
