package io.spillway.segments;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A record to append: its key and the stored bytes, possibly scattered over several pieces (one
 * per layer, say). The writer computes the checksum itself, from the bytes it writes.
 *
 * @param rawLength the payload length before the codec ({@code storedLength()} when NONE)
 */
public record RecordSource(RecordKey key, List<MemorySegment> pieces, Codec codec, int rawLength, int flags,
                           long writeTimeMillis) {

    public RecordSource {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(codec, "codec");
        pieces = List.copyOf(pieces);
        long stored = 0;
        for (MemorySegment p : pieces) {
            stored += p.byteSize();
        }
        if (stored > RecordHeader.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + stored + " bytes exceeds the maximum of " + RecordHeader.MAX_PAYLOAD);
        }
        if (rawLength < 0 || rawLength > RecordHeader.MAX_PAYLOAD) {
            throw new IllegalArgumentException("raw length out of range: " + rawLength);
        }
    }

    /** Sum of the pieces' sizes. */
    public int storedLength() {
        long stored = 0;
        for (MemorySegment p : pieces) {
            stored += p.byteSize();
        }
        return (int) stored;
    }
}
