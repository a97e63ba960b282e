package io.spillway.engine.cache;

import java.io.IOException;
import java.nio.file.Path;

/** A file at a cache path that is not what the tier expects: foreign, another geometry or version, or truncated. */
public final class CacheFormatException extends IOException {

    private final Path file;
    private final boolean ours;

    CacheFormatException(Path file, String problem, boolean ours) {
        super(file + " " + (problem.startsWith("is ") ? problem : "is not a usable Spillway cache arena: " + problem));
        this.file = file;
        this.ours = ours;
    }

    public Path file() {
        return file;
    }

    /** Whether the file carries our magic (so the tier may replace it) rather than being someone else's. */
    public boolean ours() {
        return ours;
    }
}
