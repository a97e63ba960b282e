package io.spillway.engine.cache;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test of the DRAM tier on its real home: each test method gets a fresh {@link ShmDirectory}
 * ({@link #shm}), removed after it (after the subclass's own {@code @AfterEach}, so stores are
 * closed first). Blocks are {@link #BLOCK} bytes.
 */
abstract class ShmTest {

    static final int BLOCK = 64 << 10;

    ShmDirectory shm;

    @BeforeEach
    final void createShmDirectory() throws IOException {
        shm = new ShmDirectory();
    }

    @AfterEach
    final void removeShmDirectory() throws IOException {
        shm.close();
    }
}
