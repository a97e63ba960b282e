package io.spillway.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spillway.engine.config.Durability;
import org.junit.jupiter.api.Test;

/** The durability modes' decisions, as the README and {@link Durability}'s javadoc describe them. */
class DurabilityPolicyTest {

    @Test
    void noneSyncsNothingAndPromisesNothing() {
        assertEquals(new DurabilityPolicy(false, false, false, false), DurabilityPolicy.of(Durability.NONE));
    }

    @Test
    void batchSyncsDataThenIndexOncePerGroup() {
        assertEquals(new DurabilityPolicy(true, true, false, true), DurabilityPolicy.of(Durability.BATCH));
    }

    @Test
    void alwaysSyncsEveryBlockOnItsOwn() {
        assertEquals(new DurabilityPolicy(true, true, true, true), DurabilityPolicy.of(Durability.ALWAYS));
    }
}
