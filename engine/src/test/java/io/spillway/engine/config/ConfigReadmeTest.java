package io.spillway.engine.config;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * README.md's configuration table is generated from {@link StoreKeys}: this test fails when the two
 * disagree, and rewrites the table when run with {@value ReadmeTable#REGENERATE} set.
 */
class ConfigReadmeTest {

    @Test
    void readmeTableIsGeneratedFromTheDeclarations() throws IOException {
        ReadmeTable.assertGenerated("store", StoreKeys.SCHEMA, "configuration table", "StoreKeys", "engine",
                ConfigReadmeTest.class);
    }
}
