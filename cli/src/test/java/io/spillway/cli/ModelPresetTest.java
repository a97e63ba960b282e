package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelPresetTest {

    @Test
    void blockSizesFollowTheSeedsFormula() {
        // 2 (K, V) x layers x kv_heads x head_dim x 2 bytes (bf16) x 16 tokens
        assertEquals(2L * 1024 * 1024, ModelPreset.LLAMA_3_1_8B.kvBlockSize());
        assertEquals(3L * 1024 * 1024, ModelPreset.QWEN2_5_14B.kvBlockSize());
        assertEquals(5L * 1024 * 1024, ModelPreset.LLAMA_3_1_70B.kvBlockSize());
    }

    @Test
    void geometryOfTheNamedModels() {
        ModelPreset llama = ModelPreset.byId("llama-3.1-8b");
        assertEquals(32, llama.layers());
        assertEquals(8, llama.kvHeads());
        assertEquals(128, llama.headDim());
        assertEquals(2, llama.dtypeBytes());
        assertEquals(16, llama.blockTokens());
        ModelPreset qwen = ModelPreset.byId("qwen2.5-14b");
        assertEquals(48, qwen.layers());
        assertEquals(8, qwen.kvHeads());
    }

    @Test
    void lookupIgnoresCaseAndSpaces() {
        assertEquals(ModelPreset.QWEN2_5_14B, ModelPreset.byId(" Qwen2.5-14B "));
    }

    @Test
    void unknownModelListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelPreset.byId("gpt-9"));
        assertTrue(e.getMessage().contains("gpt-9"), e.getMessage());
        assertTrue(e.getMessage().contains("llama-3.1-8b, qwen2.5-14b, llama-3.1-70b"), e.getMessage());
    }

    @Test
    void namespaceNamesModelRankAndDtype() {
        assertEquals("llama-3.1-8b|tp=0/1|bf16", ModelPreset.LLAMA_3_1_8B.namespace());
    }
}
