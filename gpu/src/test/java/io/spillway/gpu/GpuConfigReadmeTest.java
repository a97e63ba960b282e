package io.spillway.gpu;

import io.spillway.engine.config.ReadmeTable;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * README.md's GPU key table is generated from {@link GpuConfig}'s declarations: this test fails
 * when the two disagree, and rewrites the table when run with {@value ReadmeTable#REGENERATE} set.
 * Not part of {@link GpuTestMain}: the GPU machine runs the tests without the source tree.
 */
class GpuConfigReadmeTest {

    @Test
    void readmeTableIsGeneratedFromTheDeclarations() throws IOException {
        ReadmeTable.assertGenerated("gpu", GpuConfig.SCHEMA, "GPU key table", "GpuConfig", "gpu", GpuConfigReadmeTest.class);
    }
}
