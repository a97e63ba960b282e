package io.spillway.cli;

import io.spillway.engine.shared.SharedInspect;
import io.spillway.recovery.Inspect;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spillway inspect DIR [--segment ID] [--key HEX]}: read-only views for operators
 * ({@link Inspect}): every segment's header and footer summary; one segment's records; where a
 * key is, with the hex of its record header.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Shows segment headers and footers, a segment's records, or where a key is (read-only).")
final class InspectCommand extends CliCommand {

    @Mixin
    OfflineStoreArguments store;

    @Option(names = "--segment", paramLabel = "ID", description = "A segment id (hex, as in its file name, or decimal with a 'd' suffix).")
    String segment;

    @Option(names = "--key", paramLabel = "HEX", description = "A block key, 64 hex digits.")
    String key;

    @Override
    public Integer call() throws IOException {
        Path dir = store.existingDir();
        Inspect inspect = new Inspect(dir);
        PrintWriter out = out();
        if (key != null) {
            BlockKey k;
            try {
                k = BlockKey.fromHex(key);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--key " + key + " is not 64 hex digits");
            }
            out.print(inspect.key(k, store.indexDir()));
        }
        if (segment != null) {
            out.print(inspect.segment(parseId(segment)));
        }
        if (key == null && segment == null && SharedInspect.isShared(dir)) {
            out.print(SharedViews.writers(dir)); // many writers (issue 15): each with its lease
        }
        if (key == null && segment == null) {
            out.print(inspect.segments());
        }
        out.flush();
        return 0;
    }

    private static long parseId(String s) {
        try {
            return s.endsWith("d") ? Long.parseLong(s.substring(0, s.length() - 1)) : Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--segment " + s + " is not a segment id (hex, or decimal with a 'd' suffix)");
        }
    }
}
