package io.spillway.cli.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CRC32C of one block in native memory, as every dump and load computes it
 * ({@code java.util.zip.CRC32C} over a direct buffer: the intrinsic, SSE4.2/AVX-512 where present).
 * Throughput in blocks per second; GB/s = ops/s x blockSize / 1e9.
 */
public class Crc32cBenchmark extends BlockThroughputBenchmark {

    @Param({"65536", "2097152"})
    int blockSize;

    private Arena arena;
    private ByteBuffer block;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        MemorySegment s = arena.allocate(blockSize, 4096);
        SplittableRandom random = new SplittableRandom(1);
        for (long i = 0; i < blockSize; i += 8) {
            s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        block = s.asByteBuffer();
    }

    @Benchmark
    public long crc32c() {
        CRC32C crc = new CRC32C();
        crc.update(block.duplicate());
        return crc.getValue();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
