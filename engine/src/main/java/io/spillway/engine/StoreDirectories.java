package io.spillway.engine;

import io.spillway.engine.config.ConfigException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Creates the directories a store is configured with ({@code storage_backends}, {@code index_path})
 * and refuses, as a config error naming the key, a path that cannot be one: an existing file, a
 * path under a file, or one that cannot be created (a missing or read-only mount, a
 * pseudo-file system such as {@code /proc}, no permission). An IO error of the device itself
 * stays an IO error.
 */
final class StoreDirectories {

    private StoreDirectories() {
    }

    /** Creates {@code dir} (and its parents) if missing; see the class comment. */
    static void create(String key, Path dir) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw new ConfigException(key, dir.toString(), null, (existing.equals(dir.toAbsolutePath()) ? "it is a file"
                    : existing + " is a file") + ", not a directory; give a directory (it is created if missing)", null);
        }
        try {
            Files.createDirectories(dir);
        } catch (NoSuchFileException | AccessDeniedException e) {
            throw new ConfigException(key, dir.toString(), null, "it cannot be created (" + (e instanceof AccessDeniedException
                    ? "permission denied: " : "cannot create ") + e.getFile() + "); give a directory that exists, or can be"
                    + " created, on a writable file system", e);
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("Read-only")) {
                throw new ConfigException(key, dir.toString(), null, "it cannot be created (" + e.getFile()
                        + " is on a read-only file system); give a directory on a writable one", e);
            }
            throw e;
        }
    }
}
