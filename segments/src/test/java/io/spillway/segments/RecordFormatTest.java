package io.spillway.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encode/decode of every on-disk structure, and detection of every single-bit flip in them. */
class RecordFormatTest {

    private static final int ALIGN = 4096;
    private static final long SEGMENT = 7;
    private static final RecordKey KEY = SegmentFixtures.keyOf(1, 2, 3);

    private static RecordHeader record(long payloadOffset, int stored) {
        return new RecordHeader(KEY, payloadOffset, stored, stored + 17, 0xCAFEBABE, Codec.LZ4, RecordFlags.AUTO_COMMIT,
                1_700_000_000_123L);
    }

    private static byte[] encode(RecordHeader h) {
        ByteBuffer b = ByteBuffer.allocate(RecordHeader.BYTES);
        h.encode(b);
        assertEquals(RecordHeader.BYTES, b.position());
        return b.array();
    }

    private static byte[] encode(GroupHeader g) {
        ByteBuffer b = ByteBuffer.allocate(GroupHeader.BYTES);
        g.encode(b);
        assertEquals(GroupHeader.BYTES, b.position());
        return b.array();
    }

    // ---------------------------------------------------------------- RecordHeader

    @Test
    void recordHeaderRoundTrip() throws Exception {
        RecordHeader h = record(3 * ALIGN, 65536);
        byte[] enc = encode(h);
        ByteBuffer le = ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(RecordHeader.MAGIC, le.getInt(0));
        assertEquals('S', enc[0]);
        assertEquals('P', enc[1]);
        assertEquals('W', enc[2]);
        assertEquals('R', enc[3]);
        ByteBuffer in = ByteBuffer.wrap(enc);
        RecordHeader back = RecordHeader.decode(in, ALIGN + 64, 1L << 30);
        assertEquals(h, back);
        assertEquals(RecordHeader.BYTES, in.position());
        assertEquals(h.location(SEGMENT), back.location(SEGMENT));
        assertEquals(h, RecordHeader.of(KEY, h.location(SEGMENT)));
    }

    @Test
    void recordHeadersEncodeAtPositionInHeapAndDirectBuffers() throws Exception {
        RecordHeader a = record(2 * ALIGN, 100);
        RecordHeader b = record(3 * ALIGN, 200);
        for (ByteBuffer buf : List.of(ByteBuffer.allocate(300), ByteBuffer.allocateDirect(300))) {
            buf.position(11);
            a.encode(buf);
            b.encode(buf);
            assertEquals(11 + 2 * RecordHeader.BYTES, buf.position());
            buf.position(11);
            assertEquals(a, RecordHeader.decode(buf, 0, 1L << 20));
            assertEquals(b, RecordHeader.decode(buf, 0, 1L << 20));
        }
    }

    @Test
    void everyBitFlipInARecordHeaderIsDetected() {
        byte[] enc = encode(record(5 * ALIGN, 12345));
        for (int bit = 0; bit < RecordHeader.BYTES * 8; bit++) {
            byte[] bad = enc.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            int b = bit;
            CorruptRecordException e = assertThrows(CorruptRecordException.class,
                    () -> RecordHeader.decode(ByteBuffer.wrap(bad), 1000, 1L << 30), () -> "bit " + b + " undetected");
            assertEquals(1000, e.offset(), e.getMessage());
            assertTrue(e.getMessage().contains("at offset 1000"), e.getMessage());
        }
    }

    @Test
    void zeroedOrTruncatedRecordHeaderIsCorrupt() {
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> RecordHeader.decode(ByteBuffer.allocate(RecordHeader.BYTES), 0, 1L << 30));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        e = assertThrows(CorruptRecordException.class,
                () -> RecordHeader.decode(ByteBuffer.wrap(Arrays.copyOf(encode(record(ALIGN, 1)), 95)), 0, 1L << 30));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void recordHeaderOutOfRangeFieldsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> record(ALIGN, -1));
        assertThrows(IllegalArgumentException.class, () -> record(ALIGN, RecordHeader.MAX_PAYLOAD + 1));
        assertThrows(IllegalArgumentException.class,
                () -> new RecordHeader(KEY, ALIGN, 10, -5, 0, Codec.NONE, 0, 0));
        // A valid CRC does not make a payload that ends past the limit acceptable.
        byte[] enc = encode(record(10 * ALIGN, ALIGN));
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> RecordHeader.decode(ByteBuffer.wrap(enc), 0, 11 * ALIGN - 1));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        // Nor one that starts at or before its own header.
        assertThrows(CorruptRecordException.class, () -> RecordHeader.decode(ByteBuffer.wrap(enc), 10 * ALIGN, 1L << 30));
        // Forged fields with a recomputed CRC: version, type, codec, lengths.
        assertForgedRecordRefused(enc, b -> b.put(4, (byte) 2), "version");
        assertForgedRecordRefused(enc, b -> b.put(5, (byte) 9), "type");
        assertForgedRecordRefused(enc, b -> b.put(6, (byte) 77), "codec");
        assertForgedRecordRefused(enc, b -> b.putInt(48, -1), "out of range");
        assertForgedRecordRefused(enc, b -> b.putInt(52, RecordHeader.MAX_PAYLOAD + 1), "out of range");
        assertForgedRecordRefused(enc, b -> b.putLong(40, Long.MIN_VALUE), "out of range");
    }

    private static void assertForgedRecordRefused(byte[] good, java.util.function.Consumer<ByteBuffer> change, String expected) {
        byte[] bad = good.clone();
        ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
        change.accept(b);
        b.putInt(92, Checksums.crc32c(bad, 0, 92));
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> RecordHeader.decode(ByteBuffer.wrap(bad), 0, 1L << 30));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    // ---------------------------------------------------------------- GroupHeader

    @Test
    void groupHeaderRoundTrip() throws Exception {
        int hb = GroupHeader.headerBlockLength(16, ALIGN);
        assertEquals(ALIGN, hb);
        assertEquals(6 * ALIGN, GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS, ALIGN));
        GroupHeader g = new GroupHeader(16, SEGMENT, 3 * ALIGN, hb + 16L * 65536, hb);
        ByteBuffer in = ByteBuffer.wrap(encode(g));
        assertEquals(g, GroupHeader.decode(in, SEGMENT, 3 * ALIGN, 1L << 30, ALIGN));
        assertEquals(GroupHeader.BYTES, in.position());
    }

    @Test
    void groupHeaderEncodesAtPositionInHeapAndDirectBuffers() throws Exception {
        GroupHeader g = new GroupHeader(1, SEGMENT, ALIGN, 2L * ALIGN, ALIGN);
        for (ByteBuffer buf : List.of(ByteBuffer.allocate(100), ByteBuffer.allocate(200).slice(13, 100),
                ByteBuffer.allocateDirect(100))) {
            buf.position(9);
            g.encode(buf);
            assertEquals(9 + GroupHeader.BYTES, buf.position());
            buf.position(9);
            assertEquals(g, GroupHeader.decode(buf, SEGMENT, ALIGN, 1L << 30, ALIGN), buf.toString());
        }
    }

    @Test
    void everyBitFlipInAGroupHeaderIsDetected() {
        GroupHeader g = new GroupHeader(3, SEGMENT, 2 * ALIGN, 4L * ALIGN, ALIGN);
        byte[] enc = encode(g);
        for (int bit = 0; bit < GroupHeader.BYTES * 8; bit++) {
            byte[] bad = enc.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            int b = bit;
            assertThrows(CorruptRecordException.class,
                    () -> GroupHeader.decode(ByteBuffer.wrap(bad), SEGMENT, 2 * ALIGN, 1L << 30, ALIGN),
                    () -> "bit " + b + " undetected");
        }
    }

    @Test
    void zeroedGroupHeaderIsTheEndOfData() throws Exception {
        ByteBuffer zeros = ByteBuffer.allocate(GroupHeader.BYTES);
        assertNull(GroupHeader.decode(zeros, SEGMENT, ALIGN, 1L << 30, ALIGN));
        assertEquals(GroupHeader.BYTES, zeros.position());
        // One non-zero byte anywhere is no longer "zeros": it is corruption.
        for (int i = 0; i < GroupHeader.BYTES; i++) {
            byte[] b = new byte[GroupHeader.BYTES];
            b[i] = 1;
            assertThrows(CorruptRecordException.class, () -> GroupHeader.decode(ByteBuffer.wrap(b), SEGMENT, ALIGN, 1L << 30, ALIGN));
        }
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> GroupHeader.decode(ByteBuffer.allocate(GroupHeader.BYTES - 1), SEGMENT, ALIGN, 1L << 30, ALIGN));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void groupHeaderOutOfRangeFieldsAreRefused() {
        long at = 2 * ALIGN;
        assertGroupRefused(new GroupHeader(1, SEGMENT + 1, at, 2L * ALIGN, ALIGN), at, "belongs to segment");
        assertGroupRefused(new GroupHeader(1, SEGMENT, at + ALIGN, 2L * ALIGN, ALIGN), at, "claims offset");
        assertGroupRefused(new GroupHeader(0, SEGMENT, at, 2L * ALIGN, ALIGN), at, "out of range");
        assertGroupRefused(new GroupHeader(GroupHeader.MAX_RECORDS + 1, SEGMENT, at, 100L * ALIGN,
                GroupHeader.headerBlockLength(GroupHeader.MAX_RECORDS + 1, ALIGN)), at, "out of range");
        assertGroupRefused(new GroupHeader(1, SEGMENT, at, 2L * ALIGN, 2 * ALIGN), at, "out of range");
        assertGroupRefused(new GroupHeader(1, SEGMENT, at, 2L * ALIGN + 1, ALIGN), at, "out of range");
        assertGroupRefused(new GroupHeader(1, SEGMENT, at, ALIGN / 2, ALIGN), at, "out of range");
        assertGroupRefused(new GroupHeader(1, SEGMENT, at, Long.MAX_VALUE & -ALIGN, ALIGN), at, "out of range");
        // A group running past the file limit.
        byte[] enc = encode(new GroupHeader(1, SEGMENT, at, 3L * ALIGN, ALIGN));
        assertThrows(CorruptRecordException.class, () -> GroupHeader.decode(ByteBuffer.wrap(enc), SEGMENT, at, at + 3L * ALIGN - 1, ALIGN));
    }

    private static void assertGroupRefused(GroupHeader g, long at, String expected) {
        byte[] enc = encode(g);
        CorruptRecordException e = assertThrows(CorruptRecordException.class,
                () -> GroupHeader.decode(ByteBuffer.wrap(enc), SEGMENT, at, 1L << 40, ALIGN), g::toString);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(at, e.offset());
    }

    // ---------------------------------------------------------------- SegmentHeader

    @Test
    void segmentHeaderRoundTripAndBitFlips() throws Exception {
        SegmentHeader h = new SegmentHeader(0x0123456789abL, ALIGN, 1_700_000_000_000L);
        byte[] block = h.encodeBlock();
        assertEquals(ALIGN, block.length);
        assertEquals("SPILLSEG", new String(block, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        for (int i = SegmentHeader.BYTES; i < block.length; i++) {
            assertEquals(0, block[i], "the rest of the header block is zero");
        }
        assertEquals(h, SegmentHeader.decode(ByteBuffer.wrap(block)));
        for (int bit = 0; bit < SegmentHeader.BYTES * 8; bit++) {
            byte[] bad = block.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            int b = bit;
            assertThrows(CorruptRecordException.class, () -> SegmentHeader.decode(ByteBuffer.wrap(bad)), () -> "bit " + b);
        }
        assertThrows(CorruptRecordException.class, () -> SegmentHeader.decode(ByteBuffer.allocate(ALIGN)));
        assertThrows(CorruptRecordException.class, () -> SegmentHeader.decode(ByteBuffer.wrap(block, 0, 63)));
    }

    @Test
    void segmentHeaderOutOfRangeAlignmentIsRefused() {
        for (int bad : new int[] {256, 1000, 3 * 1024}) {
            byte[] block = new SegmentHeader(1, bad, 0).encodeBlock();
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> SegmentHeader.decode(ByteBuffer.wrap(block)));
            assertTrue(e.getMessage().contains("alignment " + bad), e.getMessage());
        }
        byte[] block = new SegmentHeader(1, ALIGN, 0).encodeBlock();
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8, 2);
        b.putInt(60, Checksums.crc32c(block, 0, 60));
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> SegmentHeader.decode(ByteBuffer.wrap(block)));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    // ---------------------------------------------------------------- SegmentFooter

    private static List<SegmentFooter.Entry> entries(int n) {
        List<SegmentFooter.Entry> out = new ArrayList<>();
        long off = 2L * ALIGN;
        for (int i = 0; i < n; i++) {
            RecordKey k = SegmentFixtures.keyOf(i);
            int stored = 1000 + i * 4096;
            out.add(new SegmentFooter.Entry(k, new BlockLocation(SEGMENT, off, stored, stored * 2, i * 31, i % 2 == 0 ? Codec.NONE : Codec.LZ4,
                    i % 3 == 0 ? RecordFlags.AUTO_COMMIT : 0, 1_700_000_000_000L + i)));
            off += SegmentLayout.alignUp(stored, ALIGN) + ALIGN;
        }
        return out;
    }

    private static long dataEndAfter(List<SegmentFooter.Entry> es) {
        if (es.isEmpty()) {
            return SegmentLayout.firstGroupOffset(ALIGN);
        }
        BlockLocation last = es.getLast().location();
        return SegmentLayout.alignUp(last.payloadOffset() + last.storedLength(), ALIGN);
    }

    /** Decodes a footer the way {@link SegmentReader#readFooter} does, from its encoded bytes. */
    private static SegmentFooter decode(byte[] encoded, long dataEnd) throws CorruptRecordException {
        long fileLength = dataEnd + encoded.length;
        ByteBuffer trailer = ByteBuffer.wrap(encoded, encoded.length - SegmentFooter.TRAILER_BYTES, SegmentFooter.TRAILER_BYTES);
        SegmentFooter.Trailer t = SegmentFooter.decodeTrailer(trailer, SEGMENT, fileLength, ALIGN);
        assertEquals(dataEnd, t.dataEnd());
        return SegmentFooter.decodeBody(ByteBuffer.wrap(encoded), SEGMENT, t, ALIGN);
    }

    @Test
    void footerRoundTrip() throws Exception {
        for (int n : new int[] {0, 1, 3, 63, 64, 200}) {
            List<SegmentFooter.Entry> es = entries(n);
            long dataEnd = dataEndAfter(es);
            SegmentFooter f = new SegmentFooter(SEGMENT, dataEnd, es);
            byte[] enc = f.encode(ALIGN);
            assertEquals(SegmentLayout.footerLength(n, ALIGN), enc.length);
            assertEquals(0, enc.length % ALIGN);
            assertEquals(f, decode(enc, dataEnd), "n=" + n);
        }
    }

    @Test
    void everyBitFlipInAFooterIsDetected() {
        List<SegmentFooter.Entry> es = entries(5);
        long dataEnd = dataEndAfter(es);
        byte[] enc = new SegmentFooter(SEGMENT, dataEnd, es).encode(ALIGN);
        int body = SegmentFooter.HEADER_BYTES + es.size() * SegmentFooter.ENTRY_BYTES;
        int trailerStart = enc.length - SegmentFooter.TRAILER_BYTES;
        List<Integer> bytes = new ArrayList<>();
        for (int i = 0; i < body; i++) {
            bytes.add(i);
        }
        for (int i = trailerStart; i < enc.length; i++) {
            bytes.add(i);
        }
        for (int at : bytes) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = enc.clone();
                bad[at] ^= (byte) (1 << bit);
                int a = at;
                int b = bit;
                assertThrows(CorruptRecordException.class, () -> decode(bad, dataEnd), () -> "byte " + a + " bit " + b);
            }
        }
    }

    @Test
    void footerEntryOutOfRangeIsRefused() {
        long dataEnd = 10L * ALIGN;
        int stored = 2 * ALIGN;
        BlockLocation[] bad = {
            new BlockLocation(SEGMENT, 0, 100, 100, 0, Codec.NONE, 0, 0), // inside the segment header block
            new BlockLocation(SEGMENT, 2L * ALIGN + 1, 100, 100, 0, Codec.NONE, 0, 0), // unaligned
            new BlockLocation(SEGMENT, dataEnd - ALIGN, stored, stored, 0, Codec.NONE, 0, 0), // ends past dataEnd
            new BlockLocation(SEGMENT, 2L * ALIGN, RecordHeader.MAX_PAYLOAD + 1, 1, 0, Codec.NONE, 0, 0),
        };
        for (BlockLocation l : bad) {
            byte[] enc = new SegmentFooter(SEGMENT, dataEnd, List.of(new SegmentFooter.Entry(KEY, l))).encode(ALIGN);
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> decode(enc, dataEnd), l::toString);
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        }
    }

    @Test
    void footerTrailerForOtherSegmentOrWrongLengthIsRefused() {
        List<SegmentFooter.Entry> es = entries(2);
        long dataEnd = dataEndAfter(es);
        byte[] enc = new SegmentFooter(SEGMENT, dataEnd, es).encode(ALIGN);
        ByteBuffer trailer = ByteBuffer.wrap(enc, enc.length - 64, 64);
        assertThrows(CorruptRecordException.class,
                () -> SegmentFooter.decodeTrailer(trailer.duplicate(), SEGMENT + 1, dataEnd + enc.length, ALIGN));
        assertThrows(CorruptRecordException.class,
                () -> SegmentFooter.decodeTrailer(trailer.duplicate(), SEGMENT, dataEnd + enc.length + ALIGN, ALIGN));
    }

    /**
     * A trailer whose CRC is valid but whose entry count lies (a forged or buggy footer) must be
     * refused: an absurd count from the trailer alone, before anything is sized by it; a count
     * small enough to fit the file by the body CRC.
     */
    @Test
    void footerWithLyingCountIsRefusedWithoutAllocating() {
        List<SegmentFooter.Entry> es = entries(3);
        long dataEnd = dataEndAfter(es);
        byte[] enc = new SegmentFooter(SEGMENT, dataEnd, es).encode(ALIGN);
        long fileLength = dataEnd + enc.length;
        for (long lie : new long[] {0, 2, 4, 60, 62, 63, 64, 65, 1L << 26, Integer.MAX_VALUE, 1L << 40, Long.MAX_VALUE, -1,
                Long.MIN_VALUE}) {
            byte[] bad = enc.clone();
            int t = bad.length - SegmentFooter.TRAILER_BYTES;
            ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(t + 24, lie);
            b.putInt(t + 60, Checksums.crc32c(bad, t, 60));
            long before = usedHeap();
            assertThrows(CorruptRecordException.class, () -> decode(bad, dataEnd), () -> "count " + lie);
            assertTrue(usedHeap() - before < (64L << 20), "no allocation sized by the count " + lie);
            if (lie < 0 || lie > 64) {
                CorruptRecordException e = assertThrows(CorruptRecordException.class,
                        () -> SegmentFooter.decodeTrailer(ByteBuffer.wrap(bad, t, 64), SEGMENT, fileLength, ALIGN));
                assertTrue(e.getMessage().contains("entries " + lie), e.getMessage());
            }
        }
        // A lying dataEnd too.
        for (long lie : new long[] {0, ALIGN - 1, dataEnd - ALIGN, dataEnd + 1, dataEnd + ALIGN, fileLength,
                Long.MAX_VALUE & -ALIGN, Long.MIN_VALUE}) {
            byte[] bad = enc.clone();
            int t = bad.length - SegmentFooter.TRAILER_BYTES;
            ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(t + 16, lie);
            b.putInt(t + 60, Checksums.crc32c(bad, t, 60));
            assertThrows(CorruptRecordException.class,
                    () -> SegmentFooter.decodeTrailer(ByteBuffer.wrap(bad, t, 64), SEGMENT, fileLength, ALIGN), () -> "dataEnd " + lie);
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void corruptRecordExceptionCarriesItsOffset() {
        assertEquals(-1, new CorruptRecordException(-1, "x").offset());
        assertEquals("x", new CorruptRecordException(-1, "x").getMessage());
        assertEquals("x (at offset 5)", new CorruptRecordException(5, "x").getMessage());
        try {
            Codec.fromId(9);
            fail("unknown codec accepted");
        } catch (CorruptRecordException e) {
            assertTrue(e.getMessage().contains("9"));
        }
    }
}
