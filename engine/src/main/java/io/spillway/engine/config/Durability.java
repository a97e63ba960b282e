package io.spillway.engine.config;

import java.util.Locale;

/**
 * When dumped data is forced to stable storage (fdatasync) relative to its acknowledgement.
 *
 * <p>Whatever the mode, data is synced before the index entry that points to it becomes durable, and
 * every load checks the record's CRC: a weaker mode can lose recent blocks in a crash, never serve
 * wrong bytes.
 */
public enum Durability {
    /** Never sync on the write path; the OS flushes when it likes. Fastest; a crash may lose any unsynced block. */
    NONE,
    /** Sync once per group of blocks written together, amortising fdatasync over them. The default. */
    BATCH,
    /** Sync every block before it is acknowledged. */
    ALWAYS;

    /** The accepted spellings, for messages. */
    static final String ALLOWED = "one of none, batch, always";

    /** Parses "none", "batch" or "always", case-insensitively. */
    public static Durability parse(String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(Locale.ROOT)) {
            case "none" -> NONE;
            case "batch" -> BATCH;
            case "always" -> ALWAYS;
            default -> throw new IllegalArgumentException("must be " + ALLOWED);
        };
    }

    /** The config spelling ("batch"), which {@link #parse(String)} reads back. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
