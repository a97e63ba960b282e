package io.spillway.engine.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The README's table of a {@link ConfigSchema}'s keys, generated from the declarations, and the
 * markers that delimit it in README.md, so that a test can regenerate it or fail when it is stale.
 *
 * <p>The table is plain GitHub markdown: one row per key, in declaration order, with the columns
 * key, default, allowed and meaning.
 */
public final class ConfigTable {

    private static final List<String> HEADER = List.of("| key | default | allowed | meaning |", "|---|---|---|---|");

    private ConfigTable() {
    }

    /** The table, one line per row, each ending with a newline. */
    public static String markdown(ConfigSchema schema) {
        StringBuilder out = new StringBuilder();
        HEADER.forEach(line -> out.append(line).append('\n'));
        for (Key<?> key : schema.keys()) {
            out.append(List.of("`" + key.name() + "`", key.defaultLabel(), key.allowed(), key.doc()).stream()
                    .map(ConfigTable::cell).collect(Collectors.joining(" | ", "| ", " |\n")));
        }
        return out.toString();
    }

    /** The line that opens the generated table {@code id} in a document. */
    public static String beginMarker(String id) {
        return "<!-- config table '" + id + "': generated from the key declarations; edit those, not this table -->";
    }

    /** The line that closes it. */
    public static String endMarker(String id) {
        return "<!-- end of config table '" + id + "' -->";
    }

    /**
     * {@code document} with the lines between the markers of table {@code id} replaced by {@code table}.
     *
     * @throws IllegalArgumentException when the markers are missing, repeated or out of order
     */
    public static String splice(String document, String id, String table) {
        String begin = beginMarker(id) + "\n";
        String end = endMarker(id);
        int from = document.indexOf(begin);
        int to = document.indexOf(end);
        if (from < 0 || to < 0 || to < from || document.indexOf(begin, from + 1) >= 0 || document.indexOf(end, to + 1) >= 0) {
            throw new IllegalArgumentException("the document must hold the line '" + beginMarker(id)
                    + "' once, followed later by the line '" + end + "' once");
        }
        return document.substring(0, from + begin.length()) + table + document.substring(to);
    }

    /** What {@link #sync} found. */
    public enum Sync {
        /** The table in the document matches the declarations. */
        CURRENT,
        /** It did not, and was rewritten. */
        REWRITTEN,
        /** It does not, and was left as it is. */
        STALE
    }

    /**
     * Compares table {@code id} of {@code document} with the one generated from {@code schema}, and
     * rewrites the file when it differs and {@code rewrite} is set.
     *
     * @throws IllegalArgumentException when the markers are missing or repeated
     */
    public static Sync sync(Path document, String id, ConfigSchema schema, boolean rewrite) throws IOException {
        String text = Files.readString(document, StandardCharsets.UTF_8);
        String expected = splice(text, id, markdown(schema));
        if (expected.equals(text)) {
            return Sync.CURRENT;
        }
        if (!rewrite) {
            return Sync.STALE;
        }
        Files.writeString(document, expected, StandardCharsets.UTF_8);
        return Sync.REWRITTEN;
    }

    /** A pipe would end the cell, and a line break the row. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
