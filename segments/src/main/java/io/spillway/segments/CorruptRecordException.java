package io.spillway.segments;

import java.io.IOException;

/**
 * Bytes on disk that fail a magic, version, range or checksum check. Carries the file offset
 * where the bad structure starts (or -1 where the caller fills it in), so recovery can truncate
 * there and fsck can point at it.
 */
public class CorruptRecordException extends IOException {

    private final long offset;

    public CorruptRecordException(long offset, String message) {
        super(offset >= 0 ? message + " (at offset " + offset + ")" : message);
        this.offset = offset;
    }

    /** The file offset of the bad structure, or -1 if unknown. */
    public long offset() {
        return offset;
    }
}
