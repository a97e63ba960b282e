package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo end to end on a store far smaller than its working set (issue 17, bug 11's reproducer, scaled down). */
class DemoCommandTest {

    /**
     * With a capacity of a fraction of what the demo writes, the GC evicts throughout: no dump
     * may be refused (STORE_FULL means nothing is evictable), every loaded byte must verify, and a
     * looked-up block evicted before its load is a miss, not a failure. Round 2 may find nothing
     * (at this capacity a chain's head is often evicted by then); round 1 loads its prefix hits as
     * they are found, so some block is always loaded and checked.
     */
    @Test
    void aDemoThroughAStoreAtCapacityPasses(@TempDir Path tmp) throws Exception {
        Path config = Files.writeString(tmp.resolve("spillway.yaml"), "capacity: 64MiB\nsegment_size: 8MiB\nstream_number: 2\n");
        Path store = tmp.resolve("store");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, run(out, err, "demo", "--dir", store.toString(), "--requests", "24", "--config", config.toString()),
                out + "\n" + err);
        assertFalse(err.toString().contains("STORE_FULL"), err.toString());
        Matcher verified = Pattern.compile("verified (\\d+) blocks, 0 mismatches").matcher(out.toString());
        assertTrue(verified.find() && Long.parseLong(verified.group(1)) > 0, out.toString());
        StringWriter stats = new StringWriter();
        assertEquals(0, run(stats, err, "stats", store.toString()), err.toString());
        Matcher evicted = Pattern.compile("gc\\.evicted\\.segments\\s+(\\d+)").matcher(stats.toString());
        assertTrue(evicted.find() && Long.parseLong(evicted.group(1)) > 0, "the demo ran the store at capacity: " + stats);
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }
}
