package io.spillway.engine;

import io.spillway.segments.CorruptRecordException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 block compression of payloads ({@code compression: lz4}). A payload is stored compressed
 * only when that saves at least {@value #MIN_SAVING_PERCENT}% (KV caches of bf16 values often
 * do not compress; then we keep the raw bytes and pay no decode cost on load).
 */
final class Lz4Codec {

    static final int MIN_SAVING_PERCENT = 10;

    private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    private final LZ4Compressor compressor = FACTORY.fastCompressor();
    private final LZ4SafeDecompressor decompressor = FACTORY.safeDecompressor();

    /**
     * Compresses the concatenation of {@code pieces}.
     *
     * @return the compressed bytes, or null when they would not save enough
     */
    byte[] compressIfWorthIt(List<MemorySegment> pieces, int rawLength) {
        byte[] raw = new byte[rawLength];
        int off = 0;
        for (MemorySegment p : pieces) {
            MemorySegment.copy(p, 0, MemorySegment.ofArray(raw), off, p.byteSize());
            off += (int) p.byteSize();
        }
        byte[] out = new byte[compressor.maxCompressedLength(rawLength)];
        int n = compressor.compress(raw, 0, rawLength, out, 0, out.length);
        if (n > (long) rawLength * (100 - MIN_SAVING_PERCENT) / 100) {
            return null;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Decompresses {@code stored} into exactly {@code rawLength} bytes.
     *
     * @throws CorruptRecordException if the bytes do not decode to that length
     */
    byte[] decompress(MemorySegment stored, int rawLength) throws CorruptRecordException {
        byte[] src = stored.toArray(ValueLayout.JAVA_BYTE);
        byte[] dst = new byte[rawLength];
        try {
            int n = decompressor.decompress(src, 0, src.length, dst, 0, rawLength);
            if (n != rawLength) {
                throw new CorruptRecordException(-1, "LZ4 payload decoded to " + n + " bytes, expected " + rawLength);
            }
        } catch (LZ4Exception e) {
            throw new CorruptRecordException(-1, "LZ4 payload does not decode: " + e.getMessage());
        }
        return dst;
    }
}
