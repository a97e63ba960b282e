package io.spillway.engine.api;

import java.util.Objects;

/**
 * What must differ for two blocks with equal tokens to hold incompatible KV: the model (and its
 * revision), the tensor-parallel rank and size, and the KV dtype. Its canonical string is what
 * {@link BlockKey#chain} hashes, so every process and host that agrees on these values agrees on
 * the keys.
 */
public record KeyNamespace(String model, int tpRank, int tpSize, String dtype) {

    public KeyNamespace {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dtype, "dtype");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (tpSize < 1 || tpRank < 0 || tpRank >= tpSize) {
            throw new IllegalArgumentException("need 0 <= tpRank < tpSize, got tpRank=" + tpRank + " tpSize=" + tpSize);
        }
    }

    /** {@code model|tp=rank/size|dtype}: stable, human-readable, unambiguous ('|' is escaped). */
    public String canonical() {
        return escape(model) + "|tp=" + tpRank + "/" + tpSize + "|" + escape(dtype);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|");
    }

    @Override
    public String toString() {
        return canonical();
    }
}
