package io.spillway.fuzz.model;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.SplittableRandom;

/**
 * Where a model run gets its decisions: a seeded {@link SplittableRandom} (cheap, so CI runs
 * many seeds) or Jazzer's {@link FuzzedDataProvider} (coverage-guided). The run is the same code
 * either way, so a seed or a fuzzer input replays the exact operation sequence.
 */
public interface Choices {

    /** A value in {@code [0, bound)}. */
    int nextInt(int bound);

    long nextLong();

    /** Whether the source has run dry (the fuzzer's input is used up); a seeded one never does. */
    boolean exhausted();

    static Choices seeded(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Choices() {
            @Override
            public int nextInt(int bound) {
                return r.nextInt(bound);
            }

            @Override
            public long nextLong() {
                return r.nextLong();
            }

            @Override
            public boolean exhausted() {
                return false;
            }
        };
    }

    static Choices fuzzed(FuzzedDataProvider data) {
        return new Choices() {
            @Override
            public int nextInt(int bound) {
                return bound <= 1 ? 0 : data.consumeInt(0, bound - 1);
            }

            @Override
            public long nextLong() {
                return data.consumeLong();
            }

            @Override
            public boolean exhausted() {
                return data.remainingBytes() == 0;
            }
        };
    }
}
