package io.spillway.fuzz.model;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * The model-based store test driven by Jazzer (issue 5, part 2): the fuzzer's input picks the
 * configuration and every operation, crashes and power-cut fates included, so coverage guides it
 * toward store states a seeded random walk rarely reaches. Same {@link ModelRun}, same oracle as
 * {@link PowerCutTest}; a finding is replayed from its saved input by plain {@code mvn test}.
 */
class ModelFuzzTest {

    private static final AtomicLong EXECUTIONS = new AtomicLong();

    @FuzzTest(maxDuration = "30s")
    void storeOperations(FuzzedDataProvider data) throws Exception {
        EXECUTIONS.incrementAndGet();
        try (ModelRun run = new ModelRun(Choices.fuzzed(data),
                "mvn -B -o -pl fuzz -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=ModelFuzzTest (replays the saved inputs)",
                EnumSet.allOf(ModelRun.IndexFate.class))) {
            run.open();
            run.run(40, true);
            if (!data.consumeBoolean()) {
                run.crash();
            }
            run.finish();
        }
    }

    @AfterAll
    static void printCount() {
        System.out.println("[fuzz] ModelFuzzTest executions: " + EXECUTIONS.get());
    }
}
