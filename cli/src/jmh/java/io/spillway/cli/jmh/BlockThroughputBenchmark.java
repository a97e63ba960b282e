package io.spillway.cli.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings of the benchmarks that time one block's worth of work ({@link Crc32cBenchmark},
 * {@link Lz4Benchmark}), declared once so that their figures stay comparable: throughput in
 * blocks per second, each thread with its own block, 3 warmup and 5 measured iterations of one
 * second, one fork with native access.
 *
 * <p>JMH's class annotations are {@code @Inherited}: a subclass runs with these unless it
 * declares its own (JMH's sample 24, inheritance).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public abstract class BlockThroughputBenchmark {
}
