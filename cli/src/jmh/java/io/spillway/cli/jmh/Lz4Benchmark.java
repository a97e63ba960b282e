package io.spillway.cli.jmh;

import java.util.Locale;
import java.util.SplittableRandom;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * LZ4 (lz4-java's fastest instance, fast compressor: what {@code compression: lz4} uses) on a
 * 2 MiB block of bf16 KV-like data, reporting speed and the compression ratio.
 *
 * <p>The data: bf16 values drawn from a normal distribution with a per-channel scale (KV caches
 * have a few outlier channels, 16x larger), i.e. random sign and mantissa bits with exponents
 * clustered over a handful of values. Real K/V tensors look like this, which is why LZ4 saves
 * little on them: only the exponent byte is compressible, and LZ4 matches bytes, not bits.
 * {@code constant} is the contrast: all-zero padding blocks.
 *
 * <p>The ratio (raw / compressed) is printed once per trial ("LZ4 on bf16-kv: ... ratio"), next
 * to JMH's speed figures: it depends on the data only, not on timing.
 */
public class Lz4Benchmark extends BlockThroughputBenchmark {

    private static final int BLOCK = 2 << 20;
    private static final int CHANNELS = 128;

    @Param({"bf16-kv", "constant"})
    String data;

    private final LZ4Factory factory = LZ4Factory.fastestInstance();
    private final LZ4Compressor compressor = factory.fastCompressor();
    private final LZ4SafeDecompressor decompressor = factory.safeDecompressor();
    private byte[] raw;
    private byte[] compressed;
    private int compressedLength;
    private byte[] restored;

    @Setup(Level.Trial)
    public void setUp() {
        raw = data.equals("constant") ? new byte[BLOCK] : bf16KvLike(BLOCK, 42);
        compressed = new byte[compressor.maxCompressedLength(BLOCK)];
        restored = new byte[BLOCK];
        compressedLength = compressor.compress(raw, 0, BLOCK, compressed, 0, compressed.length);
        System.out.printf(Locale.ROOT, "%nLZ4 on %s: %d -> %d bytes, ratio %.3f (%.1f%% saved)%n", data, BLOCK, compressedLength,
                (double) BLOCK / compressedLength, 100.0 * (BLOCK - compressedLength) / BLOCK);
    }

    /** {@code bytes} of bf16 values, little-endian, laid out token-major over {@link #CHANNELS} channels. */
    static byte[] bf16KvLike(int bytes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] scale = new float[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            scale[c] = (random.nextInt(16) == 0 ? 16f : 1f) * (float) (0.5 + random.nextDouble());
        }
        byte[] out = new byte[bytes];
        for (int i = 0, v = 0; i + 1 < bytes; i += 2, v++) {
            float f = (float) (gaussian(random) * scale[v % CHANNELS]);
            int bf16 = Float.floatToRawIntBits(f) >>> 16;
            out[i] = (byte) bf16;
            out[i + 1] = (byte) (bf16 >>> 8);
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian before JDK 17's RandomGenerator default.
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Benchmark
    public int compress() {
        return compressor.compress(raw, 0, BLOCK, compressed, 0, compressed.length);
    }

    @Benchmark
    public int decompress() {
        return decompressor.decompress(compressed, 0, compressedLength, restored, 0);
    }
}
