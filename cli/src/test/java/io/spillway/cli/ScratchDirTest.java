package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchDirTest {

    @Test
    void underDirClosingDeletesTheRunsDirectoryAndKeepsDir(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("given");
        Path work;
        try (ScratchDir s = ScratchDir.create(dir, "lookup")) {
            work = s.work();
            assertEquals(dir, s.root());
            assertEquals(dir, work.getParent());
            assertTrue(work.getFileName().toString().startsWith("lookup-"), work.toString());
            Files.writeString(work.resolve("f"), "x");
        }
        assertFalse(Files.exists(work));
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void withoutDirClosingDeletesTheTemporaryRootToo() throws IOException {
        Path root;
        try (ScratchDir s = ScratchDir.create(null, "replay")) {
            root = s.root();
            assertTrue(root.getFileName().toString().startsWith("spillway-replay"), root.toString());
            assertTrue(Files.isDirectory(s.work()));
        }
        assertFalse(Files.exists(root));
    }
}
