package io.spillway.engine.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A store's host-shared DRAM arena, for clients on the host that copy blocks straight out of it
 * (a CUDA client registers the mapping with {@code cudaHostRegister} and copies each block to the
 * GPU with one DMA, saving the copy into a buffer of its own). A store has one when its pipeline
 * has a DRAM tier ({@link BlockStore#sharedArena()}).
 *
 * <p>The copy-out protocol, for a client in another process:
 * <ol>
 *   <li>Map {@link #path()} read-only, shared, {@link #size()} bytes. {@link #id()} names this
 *       arena file: a different id means a new file, to map again.
 *   <li>{@link #pin} the keys. Each block found is checked against its CRC32C first and then held:
 *       until the pin is closed it is neither evicted nor rewritten, so the bytes at its offset
 *       are exactly those the CRC covered.
 *   <li>Copy each OK block's {@code length} bytes at its {@code offset}; read nothing else of
 *       the arena (other slots change at any time).
 *   <li>Close the pin.
 * </ol>
 */
public interface SharedArena {

    /** The arena file (under /dev/shm or wherever {@code cache_path} is). */
    Path path();

    /** Bytes to map. */
    long size();

    /** Identifies this arena file; a new file (after a host reboot or a lost /dev/shm) has another. */
    long id();

    /** The page size every offset is a multiple of. */
    int pageSize();

    /**
     * Looks up, checks and holds each key's block (steps 2 and 3 above).
     *
     * @throws IOException if the arena can no longer be used (it faulted, the tier stopped)
     */
    Pin pin(List<BlockKey> keys) throws IOException;

    /**
     * Blocks held in place for a copy out. Per key, in order: {@link Outcome#OK} (held, at {@link
     * #offset} for {@link #length} bytes), {@link Outcome#MISSING} (not in the DRAM tier: load it
     * instead) or {@link Outcome#CORRUPT} (its DRAM copy failed its CRC32C and was dropped).
     * {@link #close} releases what is held; idempotent.
     */
    interface Pin extends AutoCloseable {

        int size();

        Outcome outcome(int i);

        long offset(int i);

        int length(int i);

        /** How many blocks are held. */
        int held();

        @Override
        void close();
    }
}
