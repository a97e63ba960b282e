package io.spillway.engine.shared;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SharedStoreSuite} on GlusterFS: each of the 5 processes uses its own FUSE mount of one volume.
 * Not part of the default build (its name is not a test's); {@code .ci/run} runs it under
 * {@code .ci/gluster}, which exports {@code SPILLWAY_GLUSTER_MOUNTS}; without them it fails.
 */
class SharedStoreGluster extends SharedStoreSuite {

    @Override
    List<Path> mounts() throws IOException {
        String m = System.getenv("SPILLWAY_GLUSTER_MOUNTS");
        assertTrue(m != null && !m.isEmpty(), "run under .ci/gluster: SPILLWAY_GLUSTER_MOUNTS is not set");
        // One mount per process (.ci/gluster --mounts 5), so taking reader r1's away touches no other.
        assertTrue(m.split(":").length >= 5, "run under .ci/gluster --mounts 5: one mount per process");
        String sub = "suite-" + ProcessHandle.current().pid();
        List<Path> out = new ArrayList<>();
        for (String mount : m.split(":")) {
            out.add(Path.of(mount).resolve(sub));
        }
        Files.createDirectories(out.getFirst());
        return out;
    }

    /** Lazily unmounts slot's mount (open descriptors stay valid; new opens fail), or mounts the volume there again. */
    @Override
    boolean mount(int slot, boolean up) throws Exception {
        String[] mounts = System.getenv("SPILLWAY_GLUSTER_MOUNTS").split(":");
        String mount = mounts[slot % mounts.length];
        String volume = System.getenv("SPILLWAY_GLUSTER_VOLUME");
        Process p = (up ? new ProcessBuilder("mount", "-t", "glusterfs", "127.0.0.2:/" + volume, mount)
                : new ProcessBuilder("umount", "-l", mount)).inheritIO().start();
        assertTrue(p.waitFor() == 0, (up ? "mount " : "umount ") + mount + " failed");
        return true;
    }

    /** Longer than the FUSE client's 1 s attribute and content caching plus a slow round. */
    @Override
    long leaseMillis() {
        return 4000;
    }

    @Test
    void threeWritersTwoReadersOnGlusterFs() throws Exception {
        run();
    }
}
