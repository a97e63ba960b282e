package io.spillway.engine.cache;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.zip.CRC32C;

/**
 * The arena's first page: its identity and geometry, and the few words that the owner changes
 * while readers watch.
 *
 * <pre>
 * 0   u64  magic        "SPWCACHE" (ASCII, little-endian long)
 * 8   u32  version      1
 * 12  u32  pageSize
 * 16  u32  slotSize
 * 20  u32  slotCount
 * 24  u64  arenaId      random, chosen when the file is created
 * 32  u32  geometryCrc  CRC32C of bytes 0..31
 * 36  u32  cleanClose   1 after the owner closed cleanly, 0 while an owner runs (or died)
 * 40  u64  mapEpoch     the index file in use is index-&lt;mapEpoch&gt;.cmap
 * 48  u64  ownerPid     the last owner's PID (for messages only)
 * 56  u32  retired      1 once a new arena replaced this file: readers must reattach
 * </pre>
 * The mutable words (cleanClose, mapEpoch, ownerPid, retired) are aligned and written with
 * release ordering; readers read them with acquire ordering before every operation.
 */
final class Superblock {

    /** "SPWCACHE" read as a little-endian long. */
    static final long MAGIC = 0x4548434143575053L;
    static final int VERSION = 1;

    private static final VarHandle INT = SlotHeader.INT.varHandle();
    private static final VarHandle LONG = SlotHeader.LONG.varHandle();
    private static final int GEOMETRY_BYTES = 32;

    private final MemorySegment page;

    Superblock(MemorySegment page) {
        this.page = page;
    }

    /** Writes a fresh superblock (epoch 0, not clean) for {@code layout}. */
    static void format(MemorySegment page, ArenaLayout layout, long arenaId) {
        page.asSlice(0, ArenaLayout.MIN_PAGE).fill((byte) 0);
        page.set(SlotHeader.LONG, 0, MAGIC);
        page.set(SlotHeader.INT, 8, VERSION);
        page.set(SlotHeader.INT, 12, layout.pageSize());
        page.set(SlotHeader.INT, 16, layout.slotSize());
        page.set(SlotHeader.INT, 20, layout.slotCount());
        page.set(SlotHeader.LONG, 24, arenaId);
        page.set(SlotHeader.INT, 32, geometryCrc(page));
    }

    /** Why this page is not a superblock of ours with {@code expected}'s geometry, or null if it is. */
    String problem(ArenaLayout expected) {
        if (page.get(SlotHeader.LONG, 0) != MAGIC) {
            return "no Spillway cache magic";
        }
        if (page.get(SlotHeader.INT, 32) != geometryCrc(page)) {
            return "superblock checksum mismatch";
        }
        if (page.get(SlotHeader.INT, 8) != VERSION) {
            return "format version " + page.get(SlotHeader.INT, 8) + ", this build reads " + VERSION;
        }
        ArenaLayout found = layout();
        if (expected != null && !found.equals(expected)) {
            return "geometry " + describe(found) + " differs from the configured " + describe(expected);
        }
        return null;
    }

    /** Whether the page starts with our magic (a file we created, whatever its state). */
    boolean ours() {
        return page.get(SlotHeader.LONG, 0) == MAGIC;
    }

    /** The geometry recorded (meaningful only if {@link #problem} found no checksum problem). */
    ArenaLayout layout() {
        return new ArenaLayout(page.get(SlotHeader.INT, 12), page.get(SlotHeader.INT, 16), page.get(SlotHeader.INT, 20));
    }

    long arenaId() {
        return page.get(SlotHeader.LONG, 24);
    }

    boolean cleanClose() {
        return (int) INT.getAcquire(page, 36L) == 1;
    }

    void cleanClose(boolean clean) {
        INT.setVolatile(page, 36L, clean ? 1 : 0);
    }

    long mapEpoch() {
        return (long) LONG.getAcquire(page, 40L);
    }

    void mapEpoch(long epoch) {
        LONG.setVolatile(page, 40L, epoch);
    }

    long ownerPid() {
        return (long) LONG.getAcquire(page, 48L);
    }

    void ownerPid(long pid) {
        LONG.setVolatile(page, 48L, pid);
    }

    boolean retired() {
        return (int) INT.getAcquire(page, 56L) == 1;
    }

    void retire() {
        INT.setVolatile(page, 56L, 1);
    }

    static String describe(ArenaLayout l) {
        return l.slotCount() + " slots of " + l.slotSize() + " bytes (page " + l.pageSize() + ")";
    }

    private static int geometryCrc(MemorySegment page) {
        CRC32C crc = new CRC32C();
        crc.update(page.asSlice(0, GEOMETRY_BYTES).asByteBuffer());
        return (int) crc.getValue();
    }
}
