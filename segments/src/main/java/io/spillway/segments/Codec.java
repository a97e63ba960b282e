package io.spillway.segments;

/** How a record's payload is encoded on disk. The id is the byte stored in headers and footers. */
public enum Codec {
    /** Stored as given. */
    NONE(0),
    /** LZ4 block format; the raw length is in the header. */
    LZ4(1);

    private final int id;

    Codec(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** The codec with this on-disk id; unknown ids are corruption, not a default. */
    public static Codec fromId(int id) throws CorruptRecordException {
        for (Codec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        throw new CorruptRecordException(-1, "unknown codec id " + id);
    }
}
