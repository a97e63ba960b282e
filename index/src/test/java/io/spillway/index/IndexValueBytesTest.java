package io.spillway.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of the {@code blocks} column family's value, committed as hex and annotated
 * from {@link LocationCodec}'s format. Produced by the encoder as it stood before the shared
 * tuple codec (commit fb63a93): an index written by that build must stay readable by this one.
 */
class IndexValueBytesTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final BlockLocation LOC = new BlockLocation(0x0A0B0C0D0E0FL, 0x1_2345_6000L, 0x12340, 0x23456, 0xCAFEBABE,
            Codec.LZ4, RecordFlags.AUTO_COMMIT | RecordFlags.NOT_LIVE, 0x18B_CFE5_6800L);

    @Test
    void indexValueBytes() throws Exception {
        String expected = "01" // value version 1
                + "0f0e0d0c0b0a0000" // u64 segment id 0x0A0B0C0D0E0F, little-endian
                + "0060452301000000" // u64 payload offset 0x123456000
                + "40230100" + "56340200" // u32 stored 0x12340, u32 raw 0x23456
                + "bebafeca" // u32 payload CRC32C 0xCAFEBABE
                + "01" + "03" // codec LZ4, flags AUTO_COMMIT | NOT_LIVE
                + "0068e5cf8b010000"; // u64 write time 1_700_000_000_000 ms
        assertEquals(expected, HEX.formatHex(LocationCodec.encode(LOC)));
        assertEquals(LocationCodec.BYTES, HEX.parseHex(expected).length);
        assertEquals(LOC, LocationCodec.decode(HEX.parseHex(expected)));
    }
}
