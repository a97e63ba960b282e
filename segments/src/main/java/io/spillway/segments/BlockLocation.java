package io.spillway.segments;

/**
 * Where a block's payload lives and how to check it: what the index stores per key and what a
 * footer lists per record.
 *
 * @param segmentId the segment's sequence number
 * @param payloadOffset file offset of the payload (a multiple of the store's alignment)
 * @param storedLength payload bytes on disk (after the codec)
 * @param rawLength payload bytes the caller dumped (before the codec)
 * @param payloadCrc CRC32C of the stored bytes
 * @param codec the payload's encoding
 * @param flags {@link RecordFlags} bits
 * @param writeTimeMillis wall-clock time of the dump, for TTL only (never used for ordering)
 */
public record BlockLocation(long segmentId, long payloadOffset, int storedLength, int rawLength,
                            int payloadCrc, Codec codec, int flags, long writeTimeMillis) {

    public BlockLocation {
        if (segmentId < 0 || payloadOffset < 0 || storedLength < 0 || rawLength < 0) {
            throw new IllegalArgumentException("negative field in " + segmentId + "/" + payloadOffset + "/" + storedLength + "/" + rawLength);
        }
    }

    /** The same location with other flags. */
    public BlockLocation withFlags(int newFlags) {
        return new BlockLocation(segmentId, payloadOffset, storedLength, rawLength, payloadCrc, codec, newFlags, writeTimeMillis);
    }
}
