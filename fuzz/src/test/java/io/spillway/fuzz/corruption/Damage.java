package io.spillway.fuzz.corruption;

import io.spillway.segments.CommitLog;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;

/** The kinds of damage {@link RepairMatrixTest} does to a store, each from a seeded random source. */
enum Damage {

    /** A bit of a segment header. */
    SEGMENT_HEADER_FLIP {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            return flip(t.data().resolve(s.file()), t.rnd().nextLong(SegmentHeader.BYTES), t.rnd());
        }
    },
    /** A bit of a group header (its own 64 bytes, not its record headers). */
    GROUP_HEADER_FLIP {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Span s = t.span();
            return flip(t.data().resolve(s.file()), s.groupAt() + t.rnd().nextLong(64), t.rnd());
        }
    },
    /** A bit of one record header. */
    RECORD_HEADER_FLIP {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Span s = t.span();
            return flip(t.data().resolve(s.file()), s.headerAt() + t.rnd().nextLong(96), t.rnd());
        }
    },
    /** A bit of a footer's header or entries. */
    FOOTER_FLIP {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            long entries = t.spans().stream().filter(x -> x.file().equals(s.file())).count();
            long body = SegmentFooter.HEADER_BYTES + entries * SegmentFooter.ENTRY_BYTES;
            return flip(t.data().resolve(s.file()), s.dataEnd() + t.rnd().nextLong(body), t.rnd());
        }
    },
    /** A bit of a footer's trailer. */
    TRAILER_FLIP {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            return flip(t.data().resolve(s.file()), s.length() - SegmentFooter.TRAILER_BYTES + t.rnd().nextLong(60), t.rnd());
        }
    },
    /** A segment cut at any offset. */
    TRUNCATE_ANYWHERE {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            return truncate(t.data().resolve(s.file()), t.rnd().nextLong(s.length()));
        }
    },
    /** A segment cut inside a record's payload. */
    TRUNCATE_IN_RECORD {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Span s = t.span();
            return truncate(t.data().resolve(s.file()), s.location().payloadOffset() + t.rnd().nextLong(s.location().storedLength()));
        }
    },
    /** A segment cut inside its footer. */
    TRUNCATE_IN_FOOTER {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            return truncate(t.data().resolve(s.file()), s.dataEnd() + t.rnd().nextLong(s.length() - s.dataEnd()));
        }
    },
    /** Random bytes appended to a segment. */
    APPENDED_GARBAGE {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            byte[] junk = new byte[1 + t.rnd().nextInt(3 * 4096)];
            t.rnd().nextBytes(junk);
            Files.write(t.data().resolve(s.file()), junk, StandardOpenOption.APPEND);
            return junk.length + " bytes appended to " + s.file();
        }
    },
    /** One to three ranges of a segment zeroed, at least one byte of them not zero before. */
    ZEROED_RANGES {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Segment s = t.segment();
            Path file = t.data().resolve(s.file());
            StringBuilder what = new StringBuilder("zeroed in " + s.file() + ":");
            boolean changed = false;
            int ranges = 1 + t.rnd().nextInt(3);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                for (int i = 0; i < ranges || !changed; i++) {
                    long at = t.rnd().nextLong(s.length());
                    int len = (int) Math.min(1 + t.rnd().nextInt(16 << 10), s.length() - at);
                    byte[] old = new byte[len];
                    f.seek(at);
                    f.readFully(old);
                    for (byte b : old) {
                        changed |= b != 0;
                    }
                    f.seek(at);
                    f.write(new byte[len]);
                    what.append(" [").append(at).append(", ").append(at + len).append(')');
                }
            }
            return what.toString();
        }
    },
    /**
     * Two faults in one segment: its trailer zeroed (no footer) and one or two of its group
     * headers flipped, so a reseal must find those groups' records from their record headers.
     */
    FOOTER_AND_GROUP_HEADERS {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.Span first = t.span();
            List<RepairFixture.Span> same = t.spans().stream().filter(x -> x.file().equals(first.file())).toList();
            RepairFixture.Segment s = t.segments().stream().filter(x -> x.file().equals(first.file())).findFirst().orElseThrow();
            Path file = t.data().resolve(s.file());
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(s.length() - SegmentFooter.TRAILER_BYTES);
                f.write(new byte[SegmentFooter.TRAILER_BYTES]);
            }
            StringBuilder what = new StringBuilder(s.file() + ": trailer zeroed");
            for (int i = 1 + t.rnd().nextInt(2); i > 0; i--) {
                RepairFixture.Span victim = same.get(t.rnd().nextInt(same.size()));
                what.append("; ").append(flip(file, victim.groupAt() + t.rnd().nextLong(64), t.rnd()));
            }
            return what.toString();
        }
    },
    /** A segment deleted. */
    SEGMENT_DELETED {
        @Override
        String apply(Target t) throws IOException {
            return removeSegment(t).getFileName() + " deleted";
        }
    },
    /** A segment replaced by a directory (holding a file). */
    SEGMENT_DIRECTORY {
        @Override
        String apply(Target t) throws IOException {
            Path p = removeSegment(t);
            Files.writeString(Files.createDirectory(p).resolve("inside"), "not a segment");
            return p.getFileName() + " replaced by a directory";
        }
    },
    /** A segment replaced by a symbolic link to nothing. */
    SEGMENT_DANGLING_SYMLINK {
        @Override
        String apply(Target t) throws IOException {
            Path p = removeSegment(t);
            Files.createSymbolicLink(p, t.data().resolve("gone").resolve(p.getFileName()));
            return p.getFileName() + " replaced by a dangling symbolic link";
        }
    },
    /** The index deleted. */
    INDEX_DELETED {
        @Override
        String apply(Target t) throws IOException {
            RepairFixture.delete(t.data().resolve("index"));
            return "index deleted";
        }
    },
    /** A bit flipped in the header or entries of one of the commit log's records, before its last. */
    COMMIT_LOG_FLIP {
        @Override
        String apply(Target t) throws IOException {
            Path log = t.data().resolve(CommitLog.FILE_NAME);
            byte[] bytes = Files.readAllBytes(log);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int unit = 4096;
            int records = bytes.length / unit; // this fixture's commits each fit in one unit
            int victim = t.rnd().nextInt(Math.max(1, records - 1));
            int at = victim * unit;
            int checked = CommitLog.HEADER_BYTES + b.getInt(at + 16) * CommitLog.ENTRY_BYTES;
            return flip(log, at + t.rnd().nextInt(checked), t.rnd());
        }
    };

    /** What a damage works on: the store directory, its pristine records and segments, and the seeded source. */
    record Target(Path data, List<RepairFixture.Span> spans, List<RepairFixture.Segment> segments,
                  SplittableRandom rnd) {
        RepairFixture.Segment segment() {
            return segments.get(rnd.nextInt(segments.size()));
        }

        RepairFixture.Span span() {
            return spans.get(rnd.nextInt(spans.size()));
        }
    }

    /** Damages the store; returns what was done, for the failure message. */
    abstract String apply(Target t) throws IOException;

    /** Deletes the segment file {@code t} picks; returns its path, for a damage that puts something else there. */
    private static Path removeSegment(Target t) throws IOException {
        Path p = t.data().resolve(t.segment().file());
        Files.delete(p);
        return p;
    }

    private static String flip(Path file, long offset, SplittableRandom rnd) throws IOException {
        int bit = rnd.nextInt(8);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ (1 << bit));
        }
        return "bit " + bit + " of byte " + offset + " of " + file.getFileName() + " flipped";
    }

    private static String truncate(Path file, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
        return file.getFileName() + " cut to " + length + " bytes";
    }
}
