package io.spillway.engine.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Creating the directories a store is given ({@code storage_backends}, {@code index_path}, a
 * command's {@code --dir}) and saying, in words an operator can act on, why a path cannot be one:
 * an existing file, a path under a file, or one that cannot be created (a missing or read-only
 * mount, a pseudo-file system such as {@code /proc}, no permission). These are the caller's
 * argument, refused as such (a {@link ConfigException} for a key, exit 2 in the CLI); an IO error
 * of the device itself stays an {@link IOException}.
 */
public final class Directories {

    private Directories() {
    }

    /**
     * The file that keeps {@code dir} from being a directory: {@code dir} itself when it exists
     * and is not one, else its nearest existing ancestor when that is not a directory; null when
     * nothing does ({@code dir} is a directory, or could be created under one).
     */
    public static Path blockingFile(Path dir) {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null || Files.isDirectory(existing) ? null : existing;
    }

    /**
     * Creates {@code dir} (and its parents) if missing.
     *
     * @return null when {@code dir} is a directory now; else what is wrong with it and what to
     *     do, as a sentence to follow "{@code <dir> is invalid: }"
     * @throws IOException an IO error other than the path being unusable
     */
    public static String create(Path dir) throws IOException {
        Path file = blockingFile(dir);
        if (file != null) {
            return (file.equals(dir.toAbsolutePath()) ? "it is a file" : file + " is a file")
                    + ", not a directory; give a directory (it is created if missing)";
        }
        try {
            Files.createDirectories(dir);
            return null;
        } catch (NoSuchFileException | AccessDeniedException e) {
            return "it cannot be created (" + (e instanceof AccessDeniedException ? "permission denied: " : "cannot create ")
                    + e.getFile() + "); give a directory that exists, or can be created, on a writable file system";
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("Read-only")) {
                return "it cannot be created (" + e.getFile() + " is on a read-only file system); give a directory on a"
                        + " writable one";
            }
            throw e;
        }
    }

    /** {@link #create(Path)}, refusing an unusable {@code dir} as a bad value of {@code key}. */
    public static void create(Key<?> key, Path dir) throws IOException {
        String problem = create(dir);
        if (problem != null) {
            throw new ConfigException(key.name(), dir.toString(), problem);
        }
    }
}
