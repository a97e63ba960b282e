package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.io.PosixFileIO;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The arena's layout, its slot headers and the index entries: geometry, round trips, and torn or foreign bytes. */
class ArenaFormatTest {

    @Test
    void slotsArePageAlignedAndTheFileIsWhole() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            long block = 4096 + r.nextLong(64L << 20);
            int alignment = 1 << (9 + r.nextInt(12));
            int page = Math.max(4096, alignment);
            long slot = (block + page - 1) / page * page;
            long capacity = slot * (1 + r.nextInt(300)) + r.nextLong(slot);
            ArenaLayout l = ArenaLayout.of(capacity, block, alignment);
            assertEquals(0, l.slotSize() % page);
            assertTrue(l.slotSize() >= block && l.slotSize() < block + page);
            assertTrue(l.slotBytes() <= capacity && capacity - l.slotBytes() < l.slotSize(), "capacity never exceeded: " + l);
            assertEquals(0, l.dataOffset() % page);
            assertEquals(0, l.fileSize() % page);
            assertTrue(l.headerOffset(l.slotCount() - 1) + ArenaLayout.HEADER_BYTES <= l.dataOffset());
            assertEquals(l.fileSize(), l.slotOffset(l.slotCount() - 1) + l.slotSize());
        }
        assertThrows(IllegalArgumentException.class, () -> ArenaLayout.of(4095, 4096, 4096));
    }

    @Test
    void indexEntriesRoundTripAndAnyFlippedBitIsDetected() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 500; i++) {
            IndexEntry e = new IndexEntry(r.nextInt(1 << 20), r.nextInt(1 << 28), r.nextInt(),
                    r.nextBoolean() ? SlotState.DIRTY : SlotState.CLEAN, r.nextLong(1L << 50) * 2, r.nextLong(1L << 40));
            byte[] v = e.encode();
            assertEquals(e, IndexEntry.decode(v));
            int bit = r.nextInt(40 * 8 + 32);
            v[bit / 8] ^= (byte) (1 << (bit % 8));
            assertNull(IndexEntry.decode(v), "a torn entry is never trusted (bit " + bit + ")");
        }
        assertNull(IndexEntry.decode(new byte[IndexEntry.BYTES]));
        assertNull(IndexEntry.decode(new byte[7]));
    }

    @Test
    void headersRoundTripAndATornOneFailsItsCrc() throws Exception {
        try (ShmDirectory shm = new ShmDirectory()) {
            ArenaLayout layout = ArenaLayout.of(16 * 65536, 65536, 4096);
            try (SlotArena a = SlotArena.create(shm.path().resolve("arena"), layout, new PosixFileIO(false, 4096))) {
                byte[] key = new byte[32];
                new SplittableRandom(3).nextBytes(key);
                SlotHeader.write(a.mapping(), a.headerAt(5), SlotState.DIRTY, 1234, 0xCAFE, key, 99);
                SlotHeader.seqRelease(a.mapping(), a.headerAt(5), 6);
                SlotHeader h = a.header(5);
                assertTrue(h.crcValid());
                assertEquals(SlotState.DIRTY, h.state());
                assertEquals(1234, h.length());
                assertEquals(6, h.seq());
                long at = a.headerAt(5) + 40;
                a.mapping().set(ValueLayout.JAVA_BYTE, at, (byte) (a.mapping().get(ValueLayout.JAVA_BYTE, at) ^ 4));
                assertFalse(a.header(5).crcValid());
                assertEquals(0, a.mapping().address() % 4096, "the mapping is page-aligned (cudaHostRegister)");
                assertEquals(0, a.slot(3).address() % 4096, "every slot is page-aligned (O_DIRECT)");
            }
        }
    }

    @Test
    void aSuperblockIsCheckedBeforeAnythingElse() throws Exception {
        try (ShmDirectory shm = new ShmDirectory()) {
            ArenaLayout layout = ArenaLayout.of(4 * 65536, 65536, 4096);
            var file = shm.path().resolve("arena");
            SlotArena.create(file, layout, new PosixFileIO(false, 4096)).close();
            CacheFormatException other = assertThrows(CacheFormatException.class,
                    () -> SlotArena.open(file, ArenaLayout.of(8 * 65536, 65536, 4096), true));
            assertTrue(other.ours() && other.getMessage().contains("geometry"), other.getMessage());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena a = Arena.ofConfined()) {
                MemorySegment sb = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, a);
                sb.set(ValueLayout.JAVA_BYTE, 17, (byte) 9); // the slot size's second byte
            }
            CacheFormatException torn = assertThrows(CacheFormatException.class, () -> SlotArena.open(file, layout, true));
            assertTrue(torn.getMessage().contains("checksum"), torn.getMessage());
        }
    }
}
