package io.spillway.cli;

import io.spillway.engine.api.KeyNamespace;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The KV-cache geometry of a few common models, so the demo moves blocks of the size a real
 * inference engine would offload.
 *
 * <p>{@link #kvBlockSize()} follows the seeds' definition of {@code kv_block_size}: K and V
 * (2) × layers × KV heads × head dim × bytes per element × tokens per block. For
 * llama-3.1-8b that is 2 × 32 × 8 × 128 × 2 × 16 = 2 MiB.
 */
public enum ModelPreset {
    LLAMA_3_1_8B("llama-3.1-8b", 32, 8, 128, 2, 16),
    QWEN2_5_14B("qwen2.5-14b", 48, 8, 128, 2, 16),
    LLAMA_3_1_70B("llama-3.1-70b", 80, 8, 128, 2, 16);

    /** The dtype every preset uses; part of the key namespace. */
    public static final String DTYPE = "bf16";

    private final String id;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int dtypeBytes;
    private final int blockTokens;

    ModelPreset(String id, int layers, int kvHeads, int headDim, int dtypeBytes, int blockTokens) {
        this.id = id;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.dtypeBytes = dtypeBytes;
        this.blockTokens = blockTokens;
    }

    /** The name used on the command line, e.g. {@code llama-3.1-8b}. */
    public String id() {
        return id;
    }

    public int layers() {
        return layers;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public int dtypeBytes() {
        return dtypeBytes;
    }

    /** Tokens per KV block (the inference engine's block size). */
    public int blockTokens() {
        return blockTokens;
    }

    /** Bytes of one block: 2 (K and V) × layers × KV heads × head dim × dtype bytes × block tokens. */
    public long kvBlockSize() {
        return 2L * layers * kvHeads * headDim * dtypeBytes * blockTokens;
    }

    /** The key namespace of this model at TP rank 0 of 1. */
    public String namespace() {
        return new KeyNamespace(id, 0, 1, DTYPE).canonical();
    }

    /** "32 layers, 8 KV heads, head_dim 128, bf16, 16 tokens/block". */
    public String geometry() {
        return layers + " layers, " + kvHeads + " KV heads, head_dim " + headDim + ", " + DTYPE + ", "
                + blockTokens + " tokens/block";
    }

    /** Looks a preset up by its {@link #id()}, case-insensitively. */
    public static ModelPreset byId(String id) {
        String wanted = id.strip().toLowerCase(Locale.ROOT);
        for (ModelPreset p : values()) {
            if (p.id.equals(wanted)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown model '" + id + "'; known models: " + knownIds());
    }

    /** The ids, comma separated, for help and error messages. */
    public static String knownIds() {
        return Arrays.stream(values()).map(ModelPreset::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
