package io.spillway.engine;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.nio.file.Path;

/**
 * One segment directory of the store ({@code storage_backends} entry), with the IO
 * implementation its file system allows (probed for O_DIRECT at open) and the lock that makes
 * this process its only writer.
 */
record Backend(int ordinal, Path dir, FileIO io, StoreLock lock) {
}
