package io.spillway.engine.config;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.config.ConfigTable.Sync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The check behind each module's README test: a table of README.md is generated from a
 * {@link ConfigSchema}, and the test fails when the two disagree. Run with {@value #REGENERATE}
 * set, it rewrites the table instead (the one time a test writes outside a temporary directory:
 * into the worktree's README, on request).
 */
public final class ReadmeTable {

    /** The system property that makes the check rewrite the table. */
    public static final String REGENERATE = "spillway.readme.regenerate";

    private ReadmeTable() {
    }

    /**
     * Asserts that README.md's table {@code id} is {@code schema}'s, or rewrites it on request.
     *
     * @param table the table, as the failure names it ("configuration table")
     * @param declarations where the keys are declared, as the failure names it ("StoreKeys")
     * @param module the Maven module of {@code test}, for the command that regenerates the table
     * @param test the test class that calls this
     */
    public static void assertGenerated(String id, ConfigSchema schema, String table, String declarations, String module,
                                       Class<?> test) throws IOException {
        Sync sync = ConfigTable.sync(readme(), id, schema, Boolean.getBoolean(REGENERATE));
        String command = "mvn -B -ntp -q -o -pl " + module + " -am test -Dtest=" + test.getSimpleName()
                + " -Dsurefire.failIfNoSpecifiedTests=false -D" + REGENERATE + "=true";
        assertNotEquals(Sync.STALE, sync, "README.md's " + table + " disagrees with the declarations in " + declarations
                + "; run `" + command + "` to regenerate it. The table should be:\n" + ConfigTable.markdown(schema));
    }

    /** The project's README, one level above the module (surefire sets {@code basedir} to the module). */
    private static Path readme() {
        Path file = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolveSibling("README.md");
        assertTrue(Files.isRegularFile(file), "no README.md at " + file);
        return file;
    }
}
