package io.spillway.engine.config;

/**
 * When dumped data is forced to stable storage (fdatasync) relative to its acknowledgement.
 *
 * <p>Whatever the mode, data is synced before the index entry that points to it becomes durable, and
 * every load checks the record's CRC: a weaker mode can lose recent blocks in a crash, never serve
 * wrong bytes.
 */
public enum Durability implements LowerCaseName {
    /** Never sync on the write path; the OS flushes when it likes. Fastest; a crash may lose any unsynced block. */
    NONE,
    /** Sync once per group of blocks written together, amortising fdatasync over them. The default. */
    BATCH,
    /** Sync every block before it is acknowledged. */
    ALWAYS;

    /** Parses "none", "batch" or "always", case-insensitively; anything else is refused listing the names. */
    public static Durability parse(String text) {
        return ConfigTypes.enumOf(Durability.class).parseName(text);
    }
}
