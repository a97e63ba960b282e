package io.spillway.engine.cache;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The copies in and out of a slot, with the checks of the cross-process protocol ({@link
 * CacheTier}, steps W3 and R4-R7). Stateless; used by the owner and by readers in other processes.
 */
final class SlotCopier {

    /** How a copy out ended. */
    enum Result {
        /** The destination holds exactly the block's bytes. */
        OK,
        /** The slot was rewritten before or during the copy (its sequence number moved): a miss, never served. */
        RACED,
        /** The slot is stable but its bytes fail the CRC32C of the index: corrupt, never served. */
        CORRUPT,
        /** The arena's memory faulted (its file was truncated under us). */
        FAULT
    }

    /** Bytes copied per step of {@link #copyIn}: small enough that the CRC reads them back from L2. */
    private static final int CHUNK = 256 << 10;

    private SlotCopier() {
    }

    /**
     * Copies {@code sources} (whose sizes add up to at most the slot) to the front of {@code slot}
     * and returns the CRC32C of what the slot now holds (step W3). The CRC is taken of the slot's
     * bytes, not the caller's, chunk by chunk right after each chunk is copied, while it is still
     * in cache: a caller that changes its buffer during the dump gets a consistent (if mixed)
     * block, never one whose CRC does not match.
     *
     * @throws CacheFaultException if the arena's memory faulted
     */
    static int copyIn(List<MemorySegment> sources, MemorySegment slot) throws CacheFaultException {
        CRC32C crc = new CRC32C();
        long at = 0;
        try {
            for (MemorySegment src : sources) {
                for (long off = 0; off < src.byteSize(); off += CHUNK) {
                    long n = Math.min(CHUNK, src.byteSize() - off);
                    MemorySegment.copy(src, off, slot, at, n);
                    crc.update(slot.asSlice(at, n).asByteBuffer());
                    at += n;
                }
            }
        } catch (InternalError e) {
            throw new CacheFaultException("the cache arena faulted while a block was copied in (was its file truncated?)", e);
        }
        return (int) crc.getValue();
    }

    /**
     * Copies a block out of its slot into {@code destinations} (steps R4-R7).
     *
     * <p>With {@code verify}, the CRC32C of the slot's bytes is checked <em>before</em> anything is
     * written to the destinations, and the sequence number after the copy proves the copied bytes
     * are the verified ones: a corrupt block leaves the destinations untouched. A RACED result
     * (possible only for a reader in another process, which cannot pin the slot) may leave them
     * partly written; it is reported as a miss and its bytes are never served.
     *
     * @param expectedSeq the generation of the index entry
     */
    static Result copyOut(SlotArena arena, int slotIndex, long expectedSeq, int length, int expectedCrc,
                          List<MemorySegment> destinations, boolean verify) {
        MemorySegment slot = arena.slot(slotIndex);
        try {
            if (arena.seq(slotIndex) != expectedSeq) {
                return Result.RACED; // R4
            }
            if (verify) {
                CRC32C crc = new CRC32C();
                crc.update(slot.asSlice(0, length).asByteBuffer());
                if ((int) crc.getValue() != expectedCrc) {
                    VarHandle.acquireFence();
                    return arena.seq(slotIndex) == expectedSeq ? Result.CORRUPT : Result.RACED; // R5
                }
            }
            long at = 0;
            for (MemorySegment d : destinations) {
                MemorySegment.copy(slot, at, d, 0, d.byteSize()); // R6
                at += d.byteSize();
            }
            VarHandle.acquireFence(); // the copy's loads happen before the second look at the sequence number
            return arena.seq(slotIndex) == expectedSeq ? Result.OK : Result.RACED; // R7
        } catch (InternalError e) {
            return Result.FAULT;
        }
    }
}
