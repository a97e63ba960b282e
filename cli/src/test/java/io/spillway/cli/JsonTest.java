package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesNestedMapsAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a\"b", "x\ny");
        m.put("n", 3L);
        m.put("nan", Double.NaN);
        m.put("ok", true);
        m.put("inner", Map.of("k", "v"));
        assertEquals("""
                {
                  "a\\"b": "x\\ny",
                  "n": 3,
                  "nan": null,
                  "ok": true,
                  "inner": {
                    "k": "v"
                  }
                }""", Json.write(m));
    }
}
