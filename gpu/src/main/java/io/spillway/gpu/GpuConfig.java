package io.spillway.gpu;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.ConfigException;
import io.spillway.engine.config.ConfigSchema;
import io.spillway.engine.config.ConfigTypes;
import io.spillway.engine.config.Key;
import io.spillway.engine.config.Settings;
import io.spillway.engine.config.SettingsConfig;
import io.spillway.engine.config.SizeRules;
import java.util.Map;

/**
 * The GPU component's own settings, kept apart from the engine's {@code StoreConfig}, which a
 * CPU-only deployment never needs to know about, but declared the same way: each key once, below,
 * with its type (sizes are {@link ByteSize}), default, rules and doc, from which {@link #fromMap},
 * the error messages, {@link #describe()} and README.md's GPU table follow ({@code GpuConfigReadmeTest}
 * fails when that table is stale).
 *
 * <p>{@code use_kernel_copy_read} and {@code use_kernel_copy_write} are llm-d's
 * {@code USE_KERNEL_COPY_READ/WRITE}: "read" is a load, storage to GPU; "write" is a dump.
 *
 * <p>The size accessors return bytes as {@code long}, the unit the CUDA calls take.
 */
public final class GpuConfig extends SettingsConfig {

    private static final ConfigSchema.Declarations KEYS = ConfigSchema.declarations("GpuConfig");

    /** The source that messages name for values given to {@link #fromMap}. */
    private static final String MAP_SOURCE = "gpu config";

    public static final Key<Integer> DEVICE = KEYS.key("device", ConfigTypes.integer(0, 63))
            .byDefault(0)
            .doc("CUDA device ordinal");

    public static final Key<ByteSize> STAGING_BUFFER_SIZE = KEYS.key("staging_buffer_size", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(32))
            .rule(SizeRules.multipleBetween(ByteSize.ofKiB(4), ByteSize.ofMiB(1), ByteSize.ofGiB(1)))
            .doc("bytes per pinned staging buffer (one batch)");

    /** At least two buffers, so a disk read and a PCIe copy can overlap. */
    public static final Key<ByteSize> MAX_STAGING_MEMORY = KEYS.key("max_staging_memory", ConfigTypes.size())
            .byDefault(ByteSize.ofMiB(512))
            .rule(SizeRules.atLeastTimes(2, STAGING_BUFFER_SIZE))
            .rule(SizeRules.atMost(ByteSize.ofGiB(256)))
            .doc("pinned host memory of the staging pool, which holds max_staging_memory / staging_buffer_size buffers");

    public static final Key<Integer> COPY_STREAMS = KEYS.key("copy_streams", ConfigTypes.integer(1, 64))
            .byDefault(4)
            .doc("CUDA streams the DMA copies are spread over");

    public static final Key<Boolean> USE_KERNEL_COPY_READ = KEYS.key("use_kernel_copy_read", ConfigTypes.bool())
            .byDefault(false)
            .doc("loads scatter staging into the KV cache with the copy kernel instead of DMA");

    public static final Key<Boolean> USE_KERNEL_COPY_WRITE = KEYS.key("use_kernel_copy_write", ConfigTypes.bool())
            .byDefault(false)
            .doc("dumps gather the KV cache into staging with the copy kernel instead of DMA");

    public static final Key<Boolean> USE_CUFILE = KEYS.key("use_cufile", ConfigTypes.bool())
            .byDefault(true)
            .doc("try GPUDirect Storage (cuFile) for file-to-device reads; false forces POSIX");

    /** Every key above, in declaration order. Keep it last among the keys: it seals the list. */
    public static final ConfigSchema SCHEMA = KEYS.schema();

    private GpuConfig(Settings settings) {
        super(settings);
    }

    /** Every key at its default: device 0, 512 MiB of staging in 32 MiB buffers, 4 streams, DMA, cuFile on. */
    public static GpuConfig defaults() {
        return new GpuConfig(SCHEMA.builder().build());
    }

    /**
     * A config from a key/value map (a YAML section); absent keys keep their defaults.
     *
     * @throws ConfigException for an unknown key, or a value that does not parse or is not allowed,
     *     naming the key, the value and what is allowed
     */
    public static GpuConfig fromMap(Map<String, ?> values) {
        return new GpuConfig(SCHEMA.builder().applyAll(values, MAP_SOURCE).build());
    }

    public int device() {
        return get(DEVICE);
    }

    /** Bytes of pinned host memory the staging pool may hold. */
    public long maxStagingMemory() {
        return get(MAX_STAGING_MEMORY).bytes();
    }

    /** Bytes per staging buffer. */
    public long stagingBufferSize() {
        return get(STAGING_BUFFER_SIZE).bytes();
    }

    public int copyStreams() {
        return get(COPY_STREAMS);
    }

    public boolean useKernelCopyRead() {
        return get(USE_KERNEL_COPY_READ);
    }

    public boolean useKernelCopyWrite() {
        return get(USE_KERNEL_COPY_WRITE);
    }

    public boolean useCufile() {
        return get(USE_CUFILE);
    }

    /** This config with the copy method of each direction replaced. */
    public GpuConfig withKernelCopy(boolean read, boolean write) {
        return new GpuConfig(settings.toBuilder().set(USE_KERNEL_COPY_READ, read).set(USE_KERNEL_COPY_WRITE, write).build());
    }

    public GpuConfig withCufile(boolean use) {
        return new GpuConfig(settings.toBuilder().set(USE_CUFILE, use).build());
    }

    /**
     * This config with other staging sizes, in bytes.
     *
     * @throws ConfigException when a size is negative or breaks its key's rules
     */
    public GpuConfig withStaging(long max, long bufferSize) {
        return new GpuConfig(settings.toBuilder()
                .set(MAX_STAGING_MEMORY, bytes(MAX_STAGING_MEMORY, max))
                .set(STAGING_BUFFER_SIZE, bytes(STAGING_BUFFER_SIZE, bufferSize))
                .build());
    }

    private static ByteSize bytes(Key<ByteSize> key, long bytes) {
        if (bytes < 0) {
            throw new ConfigException(key.name(), Long.toString(bytes), "a size must not be negative");
        }
        return ByteSize.ofBytes(bytes);
    }
}
