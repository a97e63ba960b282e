package io.spillway.fuzz.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.spillway.engine.config.ConfigException;
import io.spillway.engine.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Config parsing under arbitrary YAML and {@code SPILLWAY_*} variables (issue 5, part 1). The
 * documented failure is a {@link ConfigException} naming the key, the value and what is allowed;
 * anything else (a ClassCastException from an unexpected YAML type, a NumberFormatException, an
 * ArithmeticException from a unit overflow) is a finding.
 */
class ConfigFuzzTest {

    private static final AtomicLong EXECUTIONS = new AtomicLong();
    private static final Path FILE;

    static {
        try {
            Path dir = Files.createTempDirectory("spillway-config-fuzz-");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("spillway.yaml");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Input layout (so seeds are plain YAML files): the YAML text, then optionally a NUL byte and
     * {@code KEY=VALUE} lines, each becoming {@code SPILLWAY_KEY=VALUE} in the environment.
     */
    @FuzzTest(maxDuration = "30s")
    void yamlAndEnvironment(byte[] input) throws IOException {
        EXECUTIONS.incrementAndGet();
        int nul = 0;
        while (nul < input.length && input[nul] != 0) {
            nul++;
        }
        Map<String, String> env = new HashMap<>();
        if (nul < input.length) {
            for (String line : new String(input, nul + 1, input.length - nul - 1, StandardCharsets.UTF_8).split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put("SPILLWAY_" + line.substring(0, eq).toUpperCase(java.util.Locale.ROOT), line.substring(eq + 1));
                }
            }
        }
        Files.write(FILE, java.util.Arrays.copyOf(input, nul));
        try {
            ConfigLoader.load(FILE, env).build();
        } catch (ConfigException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a ConfigException must say what is wrong", expected);
            }
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        System.out.println("[fuzz] ConfigFuzzTest executions: " + EXECUTIONS.get());
        Files.deleteIfExists(FILE);
        Files.deleteIfExists(FILE.getParent());
    }
}
