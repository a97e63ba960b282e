package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.index.IndexOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the store's index, or replaces one that cannot be opened.
 *
 * <p>Protocol:
 * <ol>
 *   <li>If the directory does not exist or is empty, create a fresh index there (a new store,
 *       or an index that was deleted: {@link StoreRecovery} then re-adds every segment, because
 *       a fresh index knows none of them as sealed).
 *   <li>Otherwise open it without creating anything (RocksDB must not start a new database over
 *       the remains of an old one).
 *   <li>If that fails (corrupt files, a missing CURRENT, a damaged WAL), rename the directory to
 *       {@code <name>.broken-<timestamp>} (kept for inspection, never deleted) and create a fresh
 *       index in its place, as in step 1.
 * </ol>
 */
public final class IndexOpener {

    private static final Logger LOG = LoggerFactory.getLogger(IndexOpener.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    /**
     * The opened index, and why it is new, if it is.
     *
     * @param index the index
     * @param replaced null when the existing index opened; otherwise why a fresh one was created
     * @param movedTo where a broken index was moved, or null
     */
    public record Opened(BlockIndex index, String replaced, Path movedTo) {
    }

    private IndexOpener() {
    }

    /** Steps 1 to 3 for the index in {@code dir}. */
    public static Opened open(Path dir, long blockCacheBytes) throws IOException {
        if (!Files.isDirectory(dir) || isEmpty(dir)) {
            boolean existed = Files.isDirectory(dir);
            return new Opened(BlockIndex.open(dir, new IndexOptions(blockCacheBytes, true)),
                    existed ? "the index directory was empty" : "there was no index", null);
        }
        try {
            return new Opened(BlockIndex.open(dir, new IndexOptions(blockCacheBytes, false)), null, null);
        } catch (IndexException e) {
            Path aside = moveAside(dir, "broken");
            LOG.error("index {} cannot be opened ({}); moved it to {} and rebuilding a fresh one from the segments", dir,
                    e.getCause() == null ? e.getMessage() : e.getCause().getMessage(), aside);
            return new Opened(BlockIndex.open(dir, new IndexOptions(blockCacheBytes, true)),
                    "the index could not be opened: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), aside);
        }
    }

    /** Renames {@code dir} to {@code <dir>.<what>-<timestamp>} (a free name) and returns it. */
    public static Path moveAside(Path dir, String what) throws IOException {
        String base = dir.getFileName() + "." + what + "-" + LocalDateTime.now().format(STAMP);
        Path target = dir.resolveSibling(base);
        for (int i = 1; Files.exists(target); i++) {
            target = dir.resolveSibling(base + "-" + i);
        }
        Files.move(dir, target);
        return target;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
