package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A record that a repair writes over bytes it could not salvage, so that the records around
 * them keep their offsets (and every index entry pointing at them stays valid) while the
 * segment's groups still tile its data area as the format requires.
 *
 * <p>A filler is an ordinary record of the format, so every reader accepts it: its payload is
 * the damaged bytes themselves, left as they were, under a CRC32C computed over them; its key is
 * {@link #KEY}; its flags are zero (not auto-commit: no recovery ever re-indexes a record from a
 * scan unless it is); its footer entry carries {@link RecordFlags#NOT_LIVE}, so no index rebuild
 * adds it; and no index entry, commit or dump ever points at it. It only takes space, which the
 * GC reclaims with its segment. A later repair finds it as the valid, never-live record it is.
 * {@code inspect} labels it.
 */
final class FillerRecord {

    /** The key of every filler: "spillway repair filler", zero-padded to 32 bytes. */
    static final RecordKey KEY = RecordKey.of(Arrays.copyOf("spillway repair filler".getBytes(StandardCharsets.US_ASCII),
            RecordKey.BYTES));

    /** The largest filler payload (a record's largest); a larger gap takes several. */
    static final long MAX_LENGTH = RecordHeader.MAX_PAYLOAD;

    private FillerRecord() {
    }

    /** The entry of a filler over [offset, offset + length) of segment {@code segmentId}, whose bytes have {@code crc}. */
    static SegmentFooter.Entry of(long segmentId, long offset, long length, int crc) {
        int len = Math.toIntExact(length);
        return new SegmentFooter.Entry(KEY, new BlockLocation(segmentId, offset, len, len, crc, Codec.NONE, 0, 0));
    }

    /** Whether {@code e} is a filler ({@code inspect} labels it). */
    static boolean is(SegmentFooter.Entry e) {
        return e.key().equals(KEY) && (e.location().flags() & RecordFlags.AUTO_COMMIT) == 0;
    }
}
