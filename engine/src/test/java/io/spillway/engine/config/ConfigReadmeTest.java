package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ConfigTable.Sync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * README.md's configuration table is generated from {@link StoreKeys}: this test fails when the two
 * disagree, and rewrites the table when run with {@value #REGENERATE} set (the one time a test writes
 * outside a temporary directory: into the worktree's README, on request).
 */
class ConfigReadmeTest {

    static final String REGENERATE = "spillway.readme.regenerate";
    private static final String COMMAND = "mvn -B -ntp -q -o -pl engine -am test -Dtest=ConfigReadmeTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -D" + REGENERATE + "=true";

    @Test
    void readmeTableIsGeneratedFromTheDeclarations() throws IOException {
        Path readme = readme();
        Sync sync = ConfigTable.sync(readme, "store", StoreKeys.SCHEMA, Boolean.getBoolean(REGENERATE));
        assertNotEquals(Sync.STALE, sync, "README.md's configuration table disagrees with the declarations in "
                + "StoreKeys; run `" + COMMAND + "` to regenerate it. The table should be:\n"
                + ConfigTable.markdown(StoreKeys.SCHEMA));
    }

    /** The project's README, one level above this module (surefire sets {@code basedir} to the module). */
    private static Path readme() {
        Path file = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolveSibling("README.md");
        assertTrue(Files.isRegularFile(file), "no README.md at " + file);
        return file;
    }
}
