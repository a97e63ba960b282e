package io.spillway.engine.cache;

import io.spillway.engine.config.CacheVerify;
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

    /**
     * Bytes per step of a verified copy out: the copy reads a chunk from DRAM, the CRC then reads
     * it again from L1/L2. Copying first matters: single-thread, 2 MiB blocks of a 1 GiB working
     * set in random order, 3 runs on the 2-core CI machine, copy then CRC ran at 86-87% of a plain
     * memcpy against 77-79% for CRC then copy (the CRC's loads stall on DRAM where the copy's
     * streaming reads do not), and 16-128 KiB chunks were alike (82-93%, noise); 256 KiB spills
     * out of L2.
     */
    private static final int OUT_CHUNK = 64 << 10;

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
        try {
            return copyCrc(sources, slot, true, CHUNK);
        } catch (InternalError e) {
            throw new CacheFaultException("the cache arena faulted while a block was copied in (was its file truncated?)", e);
        }
    }

    /**
     * Copies a block out of its slot into {@code destinations} (steps R4-R7).
     *
     * <p>{@link CacheVerify#WHILE_COPYING} fuses R5 and R6: chunk by chunk, the chunk is copied and
     * the CRC32C then taken of the slot's bytes while they are still in the CPU cache, so the block
     * is read from DRAM once, as a plain copy does; the destinations are therefore written before
     * the whole block's CRC is known, and a CORRUPT result leaves them holding the slot's bad
     * bytes. The CRC covers the slot's bytes, not the destination's: a client could scribble on
     * its own region and so make a good block look corrupt and be dropped. {@link
     * CacheVerify#BEFORE_COPYING} checks the whole block first, so a corrupt block leaves the
     * destinations untouched. Either way the sequence number after the copy (R7) proves the
     * copied bytes are the verified ones. A RACED result (possible only for a reader in
     * another process, which cannot pin the slot) may leave them partly written; it is a miss.
     *
     * @param expectedSeq the generation of the index entry
     */
    static Result copyOut(SlotArena arena, int slotIndex, long expectedSeq, int length, int expectedCrc,
                          List<MemorySegment> destinations, CacheVerify verify) {
        MemorySegment slot = arena.slot(slotIndex);
        try {
            if (arena.seq(slotIndex) != expectedSeq) {
                return Result.RACED; // R4
            }
            int crc = switch (verify) {
                case WHILE_COPYING -> copyCrc(destinations, slot, false, OUT_CHUNK); // R5 and R6, chunk by chunk
                case BEFORE_COPYING -> crc(slot, length); // R5
                case OFF -> expectedCrc;
            };
            if (crc != expectedCrc) {
                VarHandle.acquireFence();
                return arena.seq(slotIndex) == expectedSeq ? Result.CORRUPT : Result.RACED;
            }
            if (verify != CacheVerify.WHILE_COPYING) {
                long at = 0;
                for (MemorySegment d : destinations) {
                    MemorySegment.copy(slot, at, d, 0, d.byteSize()); // R6
                    at += d.byteSize();
                }
            }
            VarHandle.acquireFence(); // the copy's loads happen before the second look at the sequence number
            return arena.seq(slotIndex) == expectedSeq ? Result.OK : Result.RACED; // R7
        } catch (InternalError e) {
            return Result.FAULT;
        }
    }

    static int crc(MemorySegment slot, int length) {
        CRC32C crc = new CRC32C();
        crc.update(slot.asSlice(0, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * Copies between the front of {@code slot} and {@code pieces} in turn, {@code chunk} bytes a
     * step: into the slot ({@link #copyIn}) or out of it (a verified copy out, {@link
     * #OUT_CHUNK}s). Each chunk is CRCed right after its copy, from the cache, and always the
     * slot's bytes, never the caller's; the CRC32C of the slot's bytes copied.
     */
    private static int copyCrc(List<MemorySegment> pieces, MemorySegment slot, boolean intoSlot, int chunk) {
        CRC32C crc = new CRC32C();
        long at = 0;
        for (MemorySegment p : pieces) {
            for (long off = 0; off < p.byteSize(); off += chunk) {
                long n = Math.min(chunk, p.byteSize() - off);
                if (intoSlot) {
                    MemorySegment.copy(p, off, slot, at, n);
                } else {
                    MemorySegment.copy(slot, at, p, off, n);
                }
                crc.update(slot.asSlice(at, n).asByteBuffer());
                at += n;
            }
        }
        return (int) crc.getValue();
    }
}
