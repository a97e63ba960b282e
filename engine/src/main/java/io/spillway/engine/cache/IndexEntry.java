package io.spillway.engine.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One block in the cache index: where it is and how to check it.
 *
 * <p>Encoded as the {@value #BYTES}-byte value of the Chronicle Map entry, little-endian:
 * <pre>
 * 0   u32  version     {@value #VERSION}
 * 4   u32  slot
 * 8   u32  length
 * 12  u32  crc         CRC32C of the block's bytes
 * 16  u32  state       {@link SlotState#code()} (DIRTY or CLEAN)
 * 20  u32  zero
 * 24  u64  generation  the slot's (even) sequence number when the block was stored
 * 32  u64  lastAccess  the owner's access clock at the block's last hit that it recorded
 * 40  u32  entryCrc    CRC32C of bytes 0..39
 * 44  u32  zero
 * </pre>
 * The entry's own CRC makes a torn or foreign value detectable: {@link #decode} returns null for
 * one, and the tier treats the key as absent (and drops the entry when it owns the index).
 *
 * @param slot the arena slot
 * @param length the block's bytes
 * @param crc the block's CRC32C
 * @param state DIRTY or CLEAN
 * @param generation the slot's sequence number the bytes belong to
 * @param lastAccess the owner's access clock at the last recorded hit (or at the store)
 */
public record IndexEntry(int slot, int length, int crc, SlotState state, long generation, long lastAccess) {

    public static final int BYTES = 48;
    static final int VERSION = 1;

    public IndexEntry {
        if (slot < 0 || length < 0 || (generation & 1) != 0 || state == null || !state.servable()) {
            throw new IllegalArgumentException("invalid index entry: slot " + slot + ", length " + length + ", generation "
                    + generation + ", state " + state);
        }
    }

    /** The same entry in another state. */
    public IndexEntry withState(SlotState s) {
        return new IndexEntry(slot, length, crc, s, generation, lastAccess);
    }

    /** The same entry with another access clock. */
    public IndexEntry withLastAccess(long clock) {
        return new IndexEntry(slot, length, crc, state, generation, clock);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION).putInt(slot).putInt(length).putInt(crc).putInt(state.code()).putInt(0).putLong(generation)
                .putLong(lastAccess);
        b.putInt(crc(b.array()));
        return b.array();
    }

    /** The entry {@code value} encodes, or null if it is torn, foreign or of another version. */
    static IndexEntry decode(byte[] value) {
        if (value == null || value.length != BYTES) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(40) != crc(value) || b.getInt(0) != VERSION) {
            return null;
        }
        SlotState state = SlotState.ofCode(b.getInt(16));
        long generation = b.getLong(24);
        int slot = b.getInt(4);
        int length = b.getInt(8);
        if (state == null || !state.servable() || (generation & 1) != 0 || slot < 0 || length < 0) {
            return null;
        }
        return new IndexEntry(slot, length, b.getInt(12), state, generation, b.getLong(32));
    }

    private static int crc(byte[] value) {
        CRC32C c = new CRC32C();
        c.update(value, 0, 40);
        return (int) c.getValue();
    }
}
