package io.spillway.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/**
 * The CLI's JSON (Jackson): {@code stats --json}, {@code bench --json}, and reading fio's output.
 * Output is indented two spaces, records and maps in their own order, and a NaN or infinite
 * double (a hit ratio before any lookup, a ratio with nothing to compare) is written as
 * {@code null}, since JSON has no NaN.
 */
final class Json {

    private static final ObjectMapper MAPPER = mapper();

    private Json() {
    }

    private static ObjectMapper mapper() {
        SimpleModule finite = new SimpleModule("finite-doubles");
        finite.addSerializer(Double.class, new FiniteDouble());
        finite.addSerializer(double.class, new FiniteDouble());
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        return new ObjectMapper().registerModule(finite).enable(SerializationFeature.INDENT_OUTPUT).setDefaultPrettyPrinter(pretty);
    }

    /** {@code value} (maps, records, lists, scalars) as indented JSON. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }

    /** Parses JSON text into a tree. */
    static JsonNode read(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    private static final class FiniteDouble extends StdSerializer<Double> {
        FiniteDouble() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value == null || value.isNaN() || value.isInfinite()) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }
}
