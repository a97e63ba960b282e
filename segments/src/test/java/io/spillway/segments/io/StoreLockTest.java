package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLockTest {

    @TempDir
    Path dir;

    @Test
    void secondAcquireInSameProcessIsRefusedWithPid() throws IOException {
        long self = ProcessHandle.current().pid();
        try (StoreLock lock = StoreLock.acquire(dir)) {
            StoreLockedException e = assertThrows(StoreLockedException.class, () -> StoreLock.acquire(dir));
            assertTrue(e.getMessage().contains("already open in this process (pid " + self), e.getMessage());
            assertEquals(self, e.ownerPid().orElseThrow());
            assertEquals(Optional.of(self), StoreLock.holder(dir));
            // The refused attempt must not have dropped our lock (POSIX close-releases-all).
            assertThrows(StoreLockedException.class, () -> StoreLock.acquire(dir));
            assertTrue(Files.readString(dir.resolve(StoreLock.FILE_NAME)).contains("pid=" + self));
        }
        assertEquals(Optional.empty(), StoreLock.holder(dir));
        assertTrue(Files.exists(dir.resolve(StoreLock.FILE_NAME)), "LOCK file is left in place");
        StoreLock.acquire(dir).close();
    }

    @Test
    void lockHeldByChildProcessIsRefusedThenTakenOverAfterKill() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertEquals("LOCKED " + child.pid(), line);

            StoreLockedException e = assertThrows(StoreLockedException.class, () -> StoreLock.acquire(dir));
            assertTrue(e.getMessage().contains("locked by pid " + child.pid() + " on host "), e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("LOCK").toRealPath().toString()), e.getMessage());
            assertEquals(child.pid(), e.ownerPid().orElseThrow());
            assertEquals(Optional.of(child.pid()), StoreLock.holder(dir));

            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertEquals(Optional.empty(), StoreLock.holder(dir));
            try (StoreLock lock = StoreLock.acquire(dir)) {
                String text = Files.readString(dir.resolve("LOCK"));
                assertTrue(text.contains("pid=" + ProcessHandle.current().pid() + "\n"), text);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
