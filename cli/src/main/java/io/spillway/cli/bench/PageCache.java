package io.spillway.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Drops the kernel's clean page cache before a load phase, so buffered peers read from the disk
 * as Spillway's O_DIRECT loads do. Needs root and a writable {@code /proc/sys}; containers often
 * refuse it, and then the bench says so in its output instead of failing.
 */
public final class PageCache {

    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private PageCache() {
    }

    /**
     * Writes back dirty pages, then asks the kernel to drop clean ones ({@code echo 1}).
     *
     * @return null when the caches were dropped, else why not
     */
    public static String drop() {
        try {
            Process sync = new ProcessBuilder("sync").redirectErrorStream(true).start();
            sync.getInputStream().readAllBytes();
            sync.waitFor();
        } catch (IOException e) {
            // sync is best effort: drop_caches leaves dirty pages alone, which only means less is dropped.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        try {
            Files.writeString(DROP_CACHES, "1", StandardCharsets.US_ASCII);
            return null;
        } catch (IOException | SecurityException e) {
            return "cannot write " + DROP_CACHES + ": " + e.getMessage();
        }
    }
}
