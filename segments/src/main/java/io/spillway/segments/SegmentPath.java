package io.spillway.segments;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of segment files, and the state each name means. Every file-state suffix is handled
 * here and nowhere else.
 *
 * <ul>
 *   <li>{@code seg-<id>.open}: being appended by its writer; only that writer reads it raw.
 *       After a crash, recovery scans it and seals it.
 *   <li>{@code seg-<id>.seg}: sealed by rename; immutable until deleted whole.
 *   <li>{@code seg-<id>.deleted}: being evicted by the GC. The rename is the durable decision to
 *       delete; the index entries pointing into it are removed next, then the file once its
 *       readers drain. Recovery finishes any it finds (see the GC's eviction protocol).
 * </ul>
 * {@code <id>} is 16 lowercase hex digits, so names sort in id order. Any other name in a store
 * directory is foreign: never parsed as a segment, never deleted.
 */
public record SegmentPath(long segmentId, State state) {

    /** The lifecycle state a file name encodes. */
    public enum State {
        OPEN(".open"),
        SEALED(".seg"),
        DELETING(".deleted");

        private final String suffix;

        State(String suffix) {
            this.suffix = suffix;
        }

        public String suffix() {
            return suffix;
        }
    }

    private static final Pattern NAME = Pattern.compile("seg-([0-9a-f]{16})(\\.open|\\.seg|\\.deleted)");

    public SegmentPath {
        if (segmentId < 0) {
            throw new IllegalArgumentException("negative segment id " + segmentId);
        }
    }

    /** The file name. */
    public String fileName() {
        return String.format("seg-%016x%s", segmentId, state.suffix());
    }

    /** The file in {@code dir}. */
    public Path in(Path dir) {
        return dir.resolve(fileName());
    }

    /** The same segment in another state. */
    public SegmentPath as(State newState) {
        return new SegmentPath(segmentId, newState);
    }

    /** Parses a file name; empty for any name that is not a segment's. */
    public static Optional<SegmentPath> parse(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (!m.matches()) {
            return Optional.empty();
        }
        long id = Long.parseUnsignedLong(m.group(1), 16);
        if (id < 0) {
            return Optional.empty();
        }
        State state = switch (m.group(2)) {
            case ".open" -> State.OPEN;
            case ".seg" -> State.SEALED;
            default -> State.DELETING;
        };
        return Optional.of(new SegmentPath(id, state));
    }
}
