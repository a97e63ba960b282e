package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.io.ChannelFileIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a crash leaves, taken from a live store: a copy of its segment files and a RocksDB
 * checkpoint of its index. Every acknowledged dump's data and index entry are durable when it
 * is acknowledged, so the copy is exactly a state a kill -9 could leave at that moment.
 */
final class CrashImage {

    private CrashImage() {
    }

    /** Copies {@code store}'s data directory (segments and the commit log, not its LOCK) and index into {@code target}/data. */
    static Path capture(SegmentStore store, Path target) throws IOException {
        Path from = store.config().storageBackends().getFirst();
        Path data = Files.createDirectories(target.resolve("data"));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SegmentPath.parse(name).isPresent() || name.equals(io.spillway.segments.CommitLog.FILE_NAME)) {
                    Files.copy(f, data.resolve(f.getFileName()));
                }
            }
        }
        store.indexForTests().checkpoint(data.resolve("index"));
        return data;
    }

    /** One group of an open segment as found by a scan: its records and where it ends. */
    record Group(List<SegmentFooter.Entry> records, long end) {
    }

    /** The groups of an open segment file, in order (groups are told apart by the header block between them). */
    static List<Group> groups(Path openFile, long segmentId) throws IOException {
        SegmentScanner.Result scan = SegmentScanner.scan(new ChannelFileIO(4096), openFile, segmentId, false, Long.MAX_VALUE);
        List<Group> out = new ArrayList<>();
        List<SegmentFooter.Entry> current = new ArrayList<>();
        long end = -1;
        for (SegmentFooter.Entry e : scan.records()) {
            BlockLocation l = e.location();
            if (end >= 0 && l.payloadOffset() != end) {
                out.add(new Group(current, end));
                current = new ArrayList<>();
            }
            current.add(e);
            end = l.payloadOffset() + SegmentLayout.alignUp(l.storedLength(), scan.alignment());
        }
        if (!current.isEmpty()) {
            out.add(new Group(current, end));
        }
        return out;
    }
}
