package io.spillway.engine.config;

/** Which sealed segment the GC evicts first when the store is over its high watermark. */
public enum EvictionPolicy implements LowerCaseName {
    /** The oldest segment (lowest id): write order, like a ring buffer. Cheapest and scan-resistant. */
    FIFO,
    /** The segment read least recently (in-memory per-segment access clock; no write per read). */
    LRU;

    /** Parses "fifo" or "lru", case-insensitively; anything else is refused listing the names. */
    public static EvictionPolicy parse(String text) {
        return ConfigTypes.enumOf(EvictionPolicy.class).parseName(text);
    }
}
