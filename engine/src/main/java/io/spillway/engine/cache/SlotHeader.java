package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One slot's 64-byte header in the arena's header table: what makes a slot self-describing, so
 * the owner can check an index entry against it at open and rebuild the index from the arena
 * alone.
 *
 * <pre>
 * 0   u64  seq          the slot's sequence number (seqlock): odd while the owner rewrites the
 *                       slot, even when it is stable; only ever increases. An index entry's
 *                       generation is the even value the slot had when the entry was written.
 * 8   u32  state        {@link SlotState#code()}
 * 12  u32  length       the block's bytes (at most the slot size)
 * 16  u32  payloadCrc   CRC32C of the block's bytes
 * 20  u32  headerCrc    CRC32C of bytes 8..19 and 24..63 (everything but seq and itself)
 * 24  u8[32] key
 * 56  u64  writtenAt    the owner's write clock when the block was stored: the write-back order
 *                       of dirty blocks found at open
 * </pre>
 * Little-endian. {@code seq} is read and written with acquire/release ordering, by any process;
 * the other fields are written by the owner only, and read by the owner (and fsck) only: readers
 * in other processes trust their index entry and the sequence number, never these fields.
 *
 * @param seq the sequence number
 * @param stateCode the raw state number (kept raw so a foreign number can be reported)
 * @param length the block's bytes
 * @param payloadCrc the block's CRC32C
 * @param key the block's key (32 bytes)
 * @param writtenAt the owner's write clock at the store
 * @param crcValid whether the header's own CRC matched when it was read
 */
public record SlotHeader(long seq, int stateCode, int length, int payloadCrc, byte[] key, long writtenAt, boolean crcValid) {

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Aligned access to {@code seq}: acquire/release across processes sharing the mapping. */
    private static final VarHandle SEQ = LONG.varHandle();

    private static final int SEQ_AT = 0;
    private static final int STATE_AT = 8;
    private static final int LENGTH_AT = 12;
    private static final int CRC_AT = 16;
    private static final int HEADER_CRC_AT = 20;
    private static final int KEY_AT = 24;
    private static final int WRITTEN_AT = 56;

    /** The state, or null if the number is none of ours. */
    public SlotState state() {
        return SlotState.ofCode(stateCode);
    }

    /** The key as an API key. */
    public BlockKey blockKey() {
        return BlockKey.of(key);
    }

    /** Reads the header at {@code at}: every field, and whether its CRC matches. */
    static SlotHeader read(MemorySegment arena, long at) {
        long seq = seqAcquire(arena, at);
        byte[] key = new byte[BlockKey.BYTES];
        MemorySegment.copy(arena, ValueLayout.JAVA_BYTE, at + KEY_AT, key, 0, key.length);
        int stored = arena.get(INT, at + HEADER_CRC_AT);
        return new SlotHeader(seq, arena.get(INT, at + STATE_AT), arena.get(INT, at + LENGTH_AT), arena.get(INT, at + CRC_AT),
                key, arena.get(LONG, at + WRITTEN_AT), stored == headerCrc(arena, at));
    }

    /** Writes every field but {@code seq}, then the header CRC. The owner only. */
    static void write(MemorySegment arena, long at, SlotState state, int length, int payloadCrc, byte[] key, long writtenAt) {
        arena.set(INT, at + STATE_AT, state.code());
        arena.set(INT, at + LENGTH_AT, length);
        arena.set(INT, at + CRC_AT, payloadCrc);
        MemorySegment.copy(key, 0, arena, ValueLayout.JAVA_BYTE, at + KEY_AT, key.length);
        arena.set(LONG, at + WRITTEN_AT, writtenAt);
        arena.set(INT, at + HEADER_CRC_AT, headerCrc(arena, at));
    }

    /** Changes only the state (and the header CRC). The owner only. */
    static void writeState(MemorySegment arena, long at, SlotState state) {
        arena.set(INT, at + STATE_AT, state.code());
        arena.set(INT, at + HEADER_CRC_AT, headerCrc(arena, at));
    }

    /** The raw state number, without checking the header CRC (the owner's fast path). */
    static int stateCode(MemorySegment arena, long at) {
        return arena.get(INT, at + STATE_AT);
    }

    static long seqAcquire(MemorySegment arena, long at) {
        return (long) SEQ.getAcquire(arena, at + SEQ_AT);
    }

    static void seqRelease(MemorySegment arena, long at, long seq) {
        SEQ.setRelease(arena, at + SEQ_AT, seq);
    }

    /** Sets {@code seq} with a full fence, so that no later write of the slot's bytes is seen before it. */
    static void seqVolatile(MemorySegment arena, long at, long seq) {
        SEQ.setVolatile(arena, at + SEQ_AT, seq);
    }

    private static int headerCrc(MemorySegment arena, long at) {
        CRC32C crc = new CRC32C();
        crc.update(arena.asSlice(at + STATE_AT, HEADER_CRC_AT - STATE_AT).asByteBuffer());
        crc.update(arena.asSlice(at + KEY_AT, ArenaLayout.HEADER_BYTES - KEY_AT).asByteBuffer());
        return (int) crc.getValue();
    }
}
