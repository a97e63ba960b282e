package io.spillway.engine.config;

/** How loads keep {@code load_queue_depth} reads in flight. */
public enum LoadIoEngine implements LowerCaseName {
    /** io_uring (through FFM, one ring per store) where the kernel allows it; else {@link #THREADS}, logged once at open. */
    AUTO,
    /** {@code load_queue_depth} threads, each in one blocking read at a time. */
    THREADS;

    /** Parses "auto" or "threads", case-insensitively; anything else is refused listing the names. */
    public static LoadIoEngine parse(String text) {
        return ConfigTypes.enumOf(LoadIoEngine.class).parseName(text);
    }
}
