package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NativeIOExceptionTest {

    private static final Path P = Path.of("/store/00000007.open");

    @Test
    void noSpaceCoversEnospcAndEdquot() {
        NativeIOException full = assertInstanceOf(NativeIOException.class,
                Errno.exception("pwrite", P, "offset 0, 4096 bytes", Errno.ENOSPC));
        assertTrue(full.isNoSpace());
        assertEquals(28, full.errno());
        assertEquals("/store/00000007.open: pwrite(offset 0, 4096 bytes) failed: "
                + "No space left on device (ENOSPC, errno 28)", full.getMessage());
        assertTrue(((NativeIOException) Errno.exception("fdatasync", P, null, Errno.EDQUOT)).isNoSpace());
        NativeIOException eio = (NativeIOException) Errno.exception("fdatasync", P, null, Errno.EIO);
        assertFalse(eio.isNoSpace());
        assertTrue(eio.getMessage().contains("Input/output error (EIO, errno 5)"), eio.getMessage());
    }

    @Test
    void enoentAndEexistBecomeJdkExceptions() {
        IOException missing = Errno.exception("open", P, "O_RDONLY", Errno.ENOENT);
        assertInstanceOf(NoSuchFileException.class, missing);
        assertTrue(missing.getMessage().startsWith(P.toString()), missing.getMessage());
        assertInstanceOf(FileAlreadyExistsException.class, Errno.exception("open", P, null, Errno.EEXIST));
        assertTrue(Errno.exception("open", P, null, 9999).getMessage().contains("errno 9999"));
    }
}
