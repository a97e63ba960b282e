package io.spillway.engine.config;

import java.util.Locale;

/** Which sealed segment the GC evicts first when the store is over its high watermark. */
public enum EvictionPolicy {
    /** The oldest segment (lowest id): write order, like a ring buffer. Cheapest and scan-resistant. */
    FIFO,
    /** The segment read least recently (in-memory per-segment access clock; no write per read). */
    LRU;

    static final String ALLOWED = "one of fifo, lru";

    public static EvictionPolicy parse(String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(Locale.ROOT)) {
            case "fifo" -> FIFO;
            case "lru" -> LRU;
            default -> throw new IllegalArgumentException("must be " + ALLOWED);
        };
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
