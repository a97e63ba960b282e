package io.spillway.engine;

import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import java.nio.file.Path;

/**
 * Chooses the {@link FileIO} of each backend directory. The default probes for O_DIRECT; tests
 * substitute fault-injecting or power-loss-simulating implementations.
 */
@FunctionalInterface
public interface IoFactory {

    /** The default: O_DIRECT where the directory's file system allows it, else buffered. */
    IoFactory PROBING = DirectIoProbe::forDirectory;

    FileIO forDirectory(Path dir, boolean wantDirect, int alignment);
}
