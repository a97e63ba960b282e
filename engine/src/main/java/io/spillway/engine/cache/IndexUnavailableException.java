package io.spillway.engine.cache;

import java.io.IOException;

/**
 * A cache index operation could not run: a segment lock of the Chronicle Map was not acquired
 * within the lock timeout (a process died holding it, or one is stalled), or the map failed. The
 * tier treats the key as a miss (a load) or the block as not cached (a dump); an owner that sees
 * this replaces the index ({@link CacheRecovery}).
 */
public final class IndexUnavailableException extends IOException {

    IndexUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
