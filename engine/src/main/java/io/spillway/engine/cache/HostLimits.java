package io.spillway.engine.cache;

import io.spillway.engine.config.HostMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Refuses a cache the host cannot hold: more than {@link HostMemory#maxCacheBytes()} (90% of its
 * RAM; checked again here because a {@link CacheConfig} built in code skips the config key's
 * rule), or more than the cache directory's file system can take (its free space plus the arena
 * already there, which is reused or replaced).
 */
final class HostLimits {

    private HostLimits() {
    }

    static void check(CacheConfig config) throws IOException {
        long want = config.layout().fileSize();
        if (want > HostMemory.maxCacheBytes()) {
            throw new IllegalArgumentException("buffer_size " + config.capacityBytes() + " bytes (the DRAM tier) is more than "
                    + (int) (HostMemory.MAX_CACHE_FRACTION * 100) + "% of this host's " + HostMemory.totalBytes()
                    + " bytes of RAM; lower it");
        }
        Path dir = existingAncestor(config.directory());
        long free = Files.getFileStore(dir).getUsableSpace();
        Path arena = config.arenaFile();
        long existing = Files.exists(arena) ? Files.size(arena) : 0;
        if (want > free + existing) {
            throw new CacheSpaceException("the DRAM tier needs " + want + " bytes at " + arena + " but its file system has "
                    + free + " bytes free" + (existing > 0 ? " (plus the " + existing + " of the arena already there)" : "")
                    + "; lower buffer_size or free space under " + dir, null);
        }
    }

    private static Path existingAncestor(Path p) {
        Path q = p.toAbsolutePath();
        while (q != null && !Files.exists(q)) {
            q = q.getParent();
        }
        return q == null ? Path.of("/") : q;
    }
}
