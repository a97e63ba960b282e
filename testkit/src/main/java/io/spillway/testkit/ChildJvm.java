package io.spillway.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a program that a crash or multi-process test runs in a child JVM: this
 * JVM's {@code java} and class path, native access, and a {@code java.io.tmpdir} of the test's own.
 *
 * <p>Why the temporary directory: RocksDB and LZ4 unpack their native libraries (17 MB and
 * 0.5 MB) into {@code java.io.tmpdir} and delete them only at a normal exit, so every child a test
 * kills would leave them in /tmp for good. Under the test's directory they go when it goes.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * @param testDir a directory the test removes afterwards, on a file system that can run native
     *                code (not a /dev/shm directory: /dev/shm may be mounted noexec); the child's
     *                {@code java.io.tmpdir} is its {@code jvm-tmp/}
     * @param jvmOptions more JVM options, placed before the class path
     * @param main the class whose {@code main} the child runs
     * @param args its arguments
     */
    public static List<String> command(Path testDir, List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        Path jvmTmp = Files.createDirectories(testDir.resolve("jvm-tmp"));
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow(() -> new IOException("cannot tell this JVM's java command")));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Djava.io.tmpdir=" + jvmTmp);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
