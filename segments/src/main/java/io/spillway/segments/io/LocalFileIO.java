package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the two real {@link FileIO}s share: the alignment they were given, and the directory
 * operations, which go through
 * {@code java.nio.file} in both. Listing, deleting and creating directories need neither
 * O_DIRECT nor errno (a failure is reported with the JDK's exception, which names the path),
 * so {@link PosixFileIO} has no reason to bind them through FFM.
 *
 * <p>Sealed to the two local implementations: a test double (a simulated disk, a faulty IO)
 * implements {@link FileIO} itself, so that it can never inherit real file-system behaviour by
 * forgetting to override a method.
 */
public abstract sealed class LocalFileIO implements FileIO permits ChannelFileIO, PosixFileIO {

    private final int alignment;

    /** @param alignment the store's record alignment: a power of two */
    LocalFileIO(int alignment) {
        this.alignment = AlignedBuffers.requireAlignment(alignment);
    }

    @Override
    public final int alignment() {
        return alignment;
    }

    @Override
    public final List<String> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Override
    public final boolean delete(Path file) throws IOException {
        return Files.deleteIfExists(file);
    }

    @Override
    public final boolean exists(Path file) {
        return Files.exists(file);
    }

    @Override
    public final void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir);
    }
}
