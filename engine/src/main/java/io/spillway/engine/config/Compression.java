package io.spillway.engine.config;

import java.util.Locale;

/**
 * The codec applied to newly dumped payloads. Every record names its own codec, so changing this
 * setting never makes existing segments unreadable.
 */
public enum Compression {
    /** Store payloads as given; KV tensors rarely compress well, and this keeps loads zero-copy into aligned buffers. */
    NONE,
    /** LZ4 block compression: cheap enough for the IO path, useful for sparse or quantized blocks. */
    LZ4;

    /** The accepted spellings, for messages. */
    static final String ALLOWED = "one of none, lz4";

    /** Parses "none" or "lz4", case-insensitively. */
    public static Compression parse(String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(Locale.ROOT)) {
            case "none" -> NONE;
            case "lz4" -> LZ4;
            default -> throw new IllegalArgumentException("must be " + ALLOWED);
        };
    }

    /** The config spelling ("lz4"), which {@link #parse(String)} reads back. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
