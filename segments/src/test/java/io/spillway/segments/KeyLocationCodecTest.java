package io.spillway.segments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.KeyLocationCodec.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shared (key, location) codec on its own; {@link OnDiskBytesTest} checks it inside each format. */
class KeyLocationCodecTest {

    private static final RecordKey KEY = OnDiskBytesTest.KEY;
    private static final BlockLocation LOC = OnDiskBytesTest.LOC;

    @Test
    void writesEachFieldLittleEndianInTheGivenOrderAndZeroesReservedBytes() throws Exception {
        KeyLocationCodec codec = KeyLocationCodec.of(Field.FLAGS, Field.RESERVED_U16, Field.KEY, Field.WRITE_TIME,
                Field.SEGMENT_ID, Field.CODEC, Field.PAYLOAD_CRC, Field.RESERVED_U32, Field.RAW_LENGTH, Field.STORED_LENGTH,
                Field.PAYLOAD_OFFSET);
        assertEquals(1 + 2 + 32 + 8 + 8 + 1 + 4 + 4 + 4 + 4 + 8, codec.bytes());
        // Hand-built, field by field, from the values rather than through the codec.
        String expected = "03" + "0000" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "0068e5cf8b010000"
                + "0f0e0d0c0b0a0000" + "01" + "bebafeca" + "00000000" + "56340200" + "40230100" + "0060452301000000";
        int at = 5;
        byte[] out = new byte[at + codec.bytes() + 3];
        Arrays.fill(out, (byte) 0xEE); // garbage: reserved bytes must come out zero, neighbours untouched
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        codec.encode(b, at, KEY, LOC);
        assertEquals("eeeeeeeeee" + expected + "eeeeee", HexFormat.of().formatHex(out));
        assertEquals(0, b.position(), "absolute access only");
        assertEquals(KEY, codec.decodeKey(b, at));
        assertEquals(LOC, codec.decodeLocation(b, at, -1, 0));
    }

    @Test
    void aTupleWithoutSegmentIdTakesTheOneItIsGiven() throws Exception {
        KeyLocationCodec codec = KeyLocationCodec.of(Field.PAYLOAD_OFFSET, Field.STORED_LENGTH, Field.RAW_LENGTH,
                Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.WRITE_TIME);
        ByteBuffer b = ByteBuffer.allocate(codec.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        codec.encode(b, 0, null, LOC);
        BlockLocation back = codec.decodeLocation(b, 0, 42, 0);
        assertEquals(new BlockLocation(42, LOC.payloadOffset(), LOC.storedLength(), LOC.rawLength(), LOC.payloadCrc(), LOC.codec(),
                LOC.flags(), LOC.writeTimeMillis()), back);
        assertThrows(IllegalStateException.class, () -> codec.decodeKey(b, 0), "no key stored");
    }

    @Test
    void seededRoundTrips() throws Exception {
        KeyLocationCodec codec = KeyLocationCodec.of(Field.KEY, Field.SEGMENT_ID, Field.PAYLOAD_OFFSET, Field.STORED_LENGTH,
                Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.RESERVED_U16, Field.WRITE_TIME);
        SplittableRandom rnd = new SplittableRandom(11);
        ByteBuffer b = ByteBuffer.allocate(codec.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10_000; i++) {
            byte[] k = new byte[RecordKey.BYTES];
            rnd.nextBytes(k);
            BlockLocation loc = new BlockLocation(rnd.nextLong(Long.MAX_VALUE), rnd.nextLong(Long.MAX_VALUE),
                    rnd.nextInt(RecordHeader.MAX_PAYLOAD + 1), rnd.nextInt(RecordHeader.MAX_PAYLOAD + 1), rnd.nextInt(),
                    Codec.values()[rnd.nextInt(Codec.values().length)], rnd.nextInt(256), rnd.nextLong());
            codec.encode(b, 0, RecordKey.of(k), loc);
            assertEquals(RecordKey.of(k), codec.decodeKey(b, 0));
            assertEquals(loc, codec.decodeLocation(b, 0, -1, 0));
        }
    }

    @Test
    void refusesFieldsThatNoLocationCanHave() {
        KeyLocationCodec codec = KeyLocationCodec.of(Field.SEGMENT_ID, Field.PAYLOAD_OFFSET, Field.STORED_LENGTH,
                Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.WRITE_TIME);
        ByteBuffer good = ByteBuffer.allocate(codec.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        codec.encode(good, 0, null, LOC);
        int codecAt = 8 + 8 + 4 + 4 + 4;
        assertCorrupt(codec, copy(good).put(codecAt, (byte) 9), "unknown codec id 9");
        assertCorrupt(codec, copy(good).putLong(0, -1), "location out of range");
        assertCorrupt(codec, copy(good).putLong(8, Long.MIN_VALUE), "location out of range");
        assertCorrupt(codec, copy(good).putInt(16, RecordHeader.MAX_PAYLOAD + 1), "payload length out of range");
        assertCorrupt(codec, copy(good).putInt(20, -5), "payload length out of range");
    }

    private static void assertCorrupt(KeyLocationCodec codec, ByteBuffer b, String message) {
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> codec.decodeLocation(b, 0, -1, 777));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(777, e.offset());
    }

    private static ByteBuffer copy(ByteBuffer b) {
        return ByteBuffer.wrap(b.array().clone()).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void refusesAnIncompleteOrAmbiguousOrderAndBigEndianBuffers() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> KeyLocationCodec.of(Field.KEY, Field.PAYLOAD_OFFSET));
        assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> KeyLocationCodec.of(Field.PAYLOAD_OFFSET, Field.PAYLOAD_OFFSET, Field.STORED_LENGTH, Field.RAW_LENGTH,
                        Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.WRITE_TIME));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        KeyLocationCodec codec = KeyLocationCodec.of(Field.KEY, Field.PAYLOAD_OFFSET, Field.STORED_LENGTH, Field.RAW_LENGTH,
                Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.WRITE_TIME);
        ByteBuffer bigEndian = ByteBuffer.allocate(codec.bytes());
        assertThrows(IllegalArgumentException.class, () -> codec.encode(bigEndian, 0, KEY, LOC));
        assertThrows(IllegalArgumentException.class, () -> codec.decodeLocation(bigEndian, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> codec.encode(bigEndian.order(ByteOrder.LITTLE_ENDIAN), 0, null, LOC),
                "a tuple with a key needs one");
        assertArrayEquals(new byte[codec.bytes()], bigEndian.array(), "a refused encode writes nothing");
    }
}
