package io.spillway.engine.cache;

/**
 * Where everything lives in the arena file. The file is one shared mapping, so a CUDA client can
 * {@code cudaHostRegister} all of it (page-aligned, page-multiple length) and every slot is an
 * O_DIRECT source and target for the disk tier.
 *
 * <pre>
 * offset 0              superblock, one page ({@link Superblock})
 * page                  slot header table: slotCount x {@value #HEADER_BYTES} bytes ({@link SlotHeader}),
 *                       rounded up to a page
 * dataOffset            slot 0, slot 1, ... each slotSize bytes (a multiple of the page size)
 * fileSize              = dataOffset + slotCount x slotSize
 * </pre>
 *
 * <p>Slots are fixed-size: {@code kv_block_size} rounded up to the page and to the disk tier's
 * alignment. A block never straddles two slots; a smaller block uses the front of one slot (the
 * capacity is counted in slots, so the tier is efficient when blocks are about {@code
 * kv_block_size}, as KV blocks of one model are). A block larger than a slot is refused by the
 * cache tier; the pipeline passes it straight to the disk tier.
 *
 * @param pageSize the page (and alignment) every offset is a multiple of
 * @param slotSize bytes per slot, a multiple of {@code pageSize}
 * @param slotCount number of slots
 */
public record ArenaLayout(int pageSize, int slotSize, int slotCount) {

    /** Bytes of one slot header. */
    public static final int HEADER_BYTES = 64;
    /** The smallest page this layout accepts; also the superblock's size. */
    public static final int MIN_PAGE = 4096;

    public ArenaLayout {
        if (pageSize < MIN_PAGE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two of at least " + MIN_PAGE + ", got " + pageSize);
        }
        if (slotSize < pageSize || slotSize % pageSize != 0) {
            throw new IllegalArgumentException("slot size must be a positive multiple of the page size " + pageSize + ", got "
                    + slotSize);
        }
        if (slotCount < 1) {
            throw new IllegalArgumentException("the arena needs at least one slot, got " + slotCount);
        }
    }

    /**
     * The layout for {@code capacityBytes} of slots of blocks of {@code blockSize}.
     *
     * @param alignment the disk tier's payload alignment; the slot size is a multiple of it too
     * @throws IllegalArgumentException if the capacity holds no slot at all
     */
    public static ArenaLayout of(long capacityBytes, long blockSize, int alignment) {
        int page = Math.max(MIN_PAGE, alignment);
        long slot = roundUp(blockSize, page);
        if (slot > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("block size " + blockSize + " is too large for a cache slot");
        }
        long count = capacityBytes / slot;
        if (count < 1) {
            throw new IllegalArgumentException("cache capacity " + capacityBytes + " bytes holds no slot of " + slot + " bytes");
        }
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cache capacity " + capacityBytes + " bytes is more than " + Integer.MAX_VALUE
                    + " slots of " + slot + " bytes");
        }
        return new ArenaLayout(page, (int) slot, (int) count);
    }

    /** Where the slot header table starts. */
    public long headerTableOffset() {
        return pageSize;
    }

    /** Where slot {@code slot}'s header is. */
    public long headerOffset(int slot) {
        return headerTableOffset() + (long) slot * HEADER_BYTES;
    }

    /** Where slot 0's bytes start (page-aligned). */
    public long dataOffset() {
        return headerTableOffset() + roundUp((long) slotCount * HEADER_BYTES, pageSize);
    }

    /** Where slot {@code slot}'s bytes start (page-aligned). */
    public long slotOffset(int slot) {
        return dataOffset() + (long) slot * slotSize;
    }

    /** The file's length: a multiple of the page size. */
    public long fileSize() {
        return dataOffset() + (long) slotCount * slotSize;
    }

    /** The bytes the slots hold, which is what {@code buffer_size} asks for (rounded down to whole slots). */
    public long slotBytes() {
        return (long) slotCount * slotSize;
    }

    static long roundUp(long n, long to) {
        return (n + to - 1) / to * to;
    }
}
