package io.spillway.engine.config;

/**
 * The codec applied to newly dumped payloads. Every record names its own codec, so changing this
 * setting never makes existing segments unreadable.
 */
public enum Compression implements LowerCaseName {
    /** Store payloads as given; KV tensors rarely compress well, and this keeps loads zero-copy into aligned buffers. */
    NONE,
    /** LZ4 block compression: cheap enough for the IO path, useful for sparse or quantized blocks. */
    LZ4;

    /** Parses "none" or "lz4", case-insensitively; anything else is refused listing the names. */
    public static Compression parse(String text) {
        return ConfigTypes.enumOf(Compression.class).parseName(text);
    }
}
