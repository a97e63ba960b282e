package io.spillway.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Damage done to a file in place, as bit rot or a torn write would: the corruption tests' tool. */
public final class FileBytes {

    private FileBytes() {
    }

    /**
     * XORs the byte at {@code offset} of {@code file} with {@code mask} (a non-zero mask changes it)
     * and forces the file's data to the device.
     */
    public static void flip(Path file, long offset, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            if (ch.read(b, offset) != 1) {
                throw new IOException("no byte at " + offset + " of " + file);
            }
            b.put(0, (byte) (b.get(0) ^ mask)).rewind();
            if (ch.write(b, offset) != 1) {
                throw new IOException("could not rewrite the byte at " + offset + " of " + file);
            }
            ch.force(false);
        }
    }
}
