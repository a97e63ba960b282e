package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ConfigTable;
import io.spillway.engine.config.ConfigTable.Sync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * README.md's GPU key table is generated from {@link GpuConfig}'s declarations: this test fails
 * when the two disagree, and rewrites the table when run with {@value #REGENERATE} set. Not part of
 * {@link GpuTestMain}: the GPU machine runs the tests without the source tree.
 */
class GpuConfigReadmeTest {

    static final String REGENERATE = "spillway.readme.regenerate";
    private static final String COMMAND = "mvn -B -ntp -q -o -pl gpu -am test -Dtest=GpuConfigReadmeTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -D" + REGENERATE + "=true";

    @Test
    void readmeTableIsGeneratedFromTheDeclarations() throws IOException {
        Path readme = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolveSibling("README.md");
        assertTrue(Files.isRegularFile(readme), "no README.md at " + readme);
        Sync sync = ConfigTable.sync(readme, "gpu", GpuConfig.SCHEMA, Boolean.getBoolean(REGENERATE));
        assertNotEquals(Sync.STALE, sync, "README.md's GPU key table disagrees with the declarations in GpuConfig; run `"
                + COMMAND + "` to regenerate it. The table should be:\n" + ConfigTable.markdown(GpuConfig.SCHEMA));
    }
}
