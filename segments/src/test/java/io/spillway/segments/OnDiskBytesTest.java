package io.spillway.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact bytes of every structure that stores a (key, location) tuple in a segment or the
 * commit log, committed as hex and annotated field by field from the format tables in the
 * javadoc of {@link RecordHeader}, {@link SegmentFooter} and {@link CommitLog}. The hex was
 * produced by the encoders as they stood before the shared tuple codec existed (commit fb63a93),
 * so a refactoring that moves a byte fails here. The index's value has the same test in index/.
 *
 * <p>Every field of the tuple is given a distinct, byte-asymmetric value so that a swapped,
 * shifted or wrongly sized field cannot go unnoticed.
 */
class OnDiskBytesTest {

    private static final HexFormat HEX = HexFormat.of();

    /** Bytes 0xa0, 0xa1, ..., 0xbf. */
    static final RecordKey KEY = RecordKey.fromHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    /** A location whose every field is recognisable in the hex below. */
    static final BlockLocation LOC = new BlockLocation(0x0A0B0C0D0E0FL, 0x1_2345_6000L, 0x12340, 0x23456, 0xCAFEBABE, Codec.LZ4,
            RecordFlags.AUTO_COMMIT | RecordFlags.NOT_LIVE, 0x18B_CFE5_6800L);

    private static final String KEY_HEX = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
    private static final String SEGMENT_HEX = "0f0e0d0c0b0a0000"; // u64 0x0A0B0C0D0E0F, little-endian
    private static final String OFFSET_HEX = "0060452301000000"; // u64 0x123456000
    private static final String STORED_HEX = "40230100"; // u32 0x12340
    private static final String RAW_HEX = "56340200"; // u32 0x23456
    private static final String CRC_HEX = "bebafeca"; // u32 0xCAFEBABE
    private static final String CODEC_HEX = "01"; // LZ4
    private static final String FLAGS_HEX = "03"; // AUTO_COMMIT | NOT_LIVE
    private static final String TIME_HEX = "0068e5cf8b010000"; // u64 1_700_000_000_000 ms

    @TempDir
    Path dir;

    private static String zeros(int bytes) {
        return "00".repeat(bytes);
    }

    @Test
    void recordHeaderBytes() throws Exception {
        String expected = "53505752" // magic 'SPWR'
                + "01" + "01" + CODEC_HEX + FLAGS_HEX // version, type data, codec, flags
                + KEY_HEX + OFFSET_HEX + STORED_HEX + RAW_HEX + CRC_HEX
                + zeros(4) // reserved
                + TIME_HEX
                + zeros(20) // reserved
                + "be8b4d2e"; // CRC32C of bytes [0, 92)
        ByteBuffer b = ByteBuffer.allocate(RecordHeader.BYTES);
        RecordHeader.of(KEY, LOC).encode(b);
        assertEquals(expected, HEX.formatHex(b.array()));

        RecordHeader back = RecordHeader.decode(ByteBuffer.wrap(HEX.parseHex(expected)), 4096, 1L << 40);
        assertEquals(KEY, back.key());
        assertEquals(LOC, back.location(LOC.segmentId()));
    }

    @Test
    void footerBytes() throws Exception {
        long segment = 9;
        long dataEnd = 0x20000;
        BlockLocation loc = new BlockLocation(segment, 0x3000, LOC.storedLength(), LOC.rawLength(), LOC.payloadCrc(), LOC.codec(),
                LOC.flags(), LOC.writeTimeMillis());
        String header = "53505746" + "01000000" // magic 'SPWF', version 1
                + "0900000000000000" + "0000020000000000" + "0100000000000000" // segment 9, dataEnd 0x20000, 1 entry
                + zeros(28) + "26ae21ad"; // reserved, CRC32C of [0, 60)
        String entry = KEY_HEX + "0030000000000000" + STORED_HEX + RAW_HEX + CRC_HEX + CODEC_HEX + FLAGS_HEX
                + zeros(2) + TIME_HEX; // offset 0x3000, reserved u16
        String trailer = "53505754" + "01000000" // magic 'SPWT', version 1
                + "0900000000000000" + "0000020000000000" + "0100000000000000"
                + "6783ec7d" // CRC32C of the footer header and the entry
                + zeros(24) + "b2c53a0a"; // reserved, CRC32C of [0, 60)
        String expected = header + entry + zeros(4096 - 64 - 64 - 64) + trailer;
        SegmentFooter footer = new SegmentFooter(segment, dataEnd, List.of(new SegmentFooter.Entry(KEY, loc)));
        assertEquals(expected, HEX.formatHex(footer.encode(4096)));

        byte[] bytes = HEX.parseHex(expected);
        SegmentFooter.Trailer t = SegmentFooter.decodeTrailer(ByteBuffer.wrap(bytes, bytes.length - 64, 64), segment,
                dataEnd + bytes.length, 4096);
        assertEquals(new SegmentFooter.Trailer(dataEnd, 1, 0x7dec8367), t);
        assertEquals(footer, SegmentFooter.decodeBody(ByteBuffer.wrap(bytes), segment, t, 4096));
    }

    @Test
    void commitLogRecordBytes() throws Exception {
        String expected = "53505743" + "0100" + zeros(2) // magic 'SPWC', version 1, reserved
                + "0500000000000000" + "01000000" // sequence 5, 1 entry
                + "9f72f613" + zeros(4) + "b9e2d821" // CRC32C of the entries, reserved, CRC32C of [0, 28)
                + KEY_HEX + SEGMENT_HEX + OFFSET_HEX + STORED_HEX + RAW_HEX + CRC_HEX + CODEC_HEX + FLAGS_HEX
                + zeros(2) + TIME_HEX // reserved u16
                + zeros(4096 - 32 - 72); // padding to the IO alignment
        List<CommitLog.Entry> entries = List.of(new CommitLog.Entry(KEY, LOC));
        assertEquals(expected, HEX.formatHex(CommitLog.encode(5, entries, 4096)));

        FileIO io = SegmentFixtures.io(dir, false);
        byte[] bytes = HEX.parseHex(expected);
        try (StoreFile f = io.create(dir.resolve(CommitLog.FILE_NAME)); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(bytes.length, 4096);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, buf, 0, bytes.length);
            f.write(buf, 0);
        }
        CommitLog.Contents read = CommitLog.read(io, dir);
        assertEquals(List.of(new CommitLog.Record(5, entries)), read.records());
    }
}
