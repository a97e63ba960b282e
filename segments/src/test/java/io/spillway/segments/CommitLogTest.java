package io.spillway.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommitLogTest {

    @TempDir
    Path dir;

    private static List<CommitLog.Entry> entries(int from, int n) {
        List<CommitLog.Entry> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            out.add(new CommitLog.Entry(SegmentFixtures.key(i), new BlockLocation(3 + i % 2, 4096L * (i + 1), 1000 + i, 2000 + i,
                    0x5eed0000 + i, i % 2 == 0 ? Codec.NONE : Codec.LZ4, 0, 1_700_000_000_000L + i)));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void appendedRecordsReadBackInOrderAcrossReopens(boolean direct) throws IOException {
        FileIO io = SegmentFixtures.io(dir, direct);
        assertEquals(new CommitLog.Contents(List.of(), 0, 0), CommitLog.read(io, dir), "no log: empty");
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            assertEquals(1, log.append(entries(0, 3)));
            assertEquals(2, log.append(entries(3, 100))); // more than one alignment unit
        }
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            assertEquals(3, log.append(entries(103, 1)));
        }
        CommitLog.Contents c = CommitLog.read(io, dir);
        assertEquals(List.of(1L, 2L, 3L), c.records().stream().map(CommitLog.Record::seq).toList());
        assertEquals(entries(3, 100), c.records().get(1).entries());
        assertEquals(entries(103, 1), c.records().get(2).entries());
        assertEquals(Files.size(dir.resolve(CommitLog.FILE_NAME)), c.validEnd());
        assertEquals(0, c.validEnd() % SegmentFixtures.ALIGN, "records start on the alignment");
        assertEquals(0, c.tornBytes());
    }

    @Test
    void theNextSequenceNumberNeverFallsBehindTheIndexs() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        try (CommitLog log = CommitLog.open(io, dir, 41)) {
            assertEquals(42, log.append(entries(0, 1)), "a lost log starts above what the index already holds");
        }
        try (CommitLog log = CommitLog.open(io, dir, 7)) {
            assertEquals(43, log.append(entries(1, 1)));
        }
    }

    @Test
    void aTornAppendIsIgnoredAndCutOffByTheNextOpen() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            log.append(entries(0, 2));
            log.append(entries(2, 2));
        }
        Path file = dir.resolve(CommitLog.FILE_NAME);
        long second = SegmentFixtures.ALIGN;
        SegmentFixtures.scribble(file, second + CommitLog.HEADER_BYTES + 10, 4, 9); // inside the second record's entries
        CommitLog.Contents torn = CommitLog.read(io, dir);
        assertEquals(1, torn.records().size(), "the damaged record and anything after it are not read");
        assertEquals(second, torn.validEnd());
        assertTrue(torn.tornBytes() > 0);
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            assertEquals(second, Files.size(file), "open cut the torn record off");
            assertEquals(2, log.append(entries(9, 1)), "the torn record's sequence number is reused: it was never acknowledged");
        }
        CommitLog.Contents c = CommitLog.read(io, dir);
        assertEquals(List.of(entries(0, 2), entries(9, 1)), c.records().stream().map(CommitLog.Record::entries).toList());
    }

    @Test
    void aRewriteReplacesTheLogWholeAndKeepsItsSequenceNumber() throws IOException {
        FileIO io = SegmentFixtures.io(dir, false);
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            for (int i = 0; i < 10; i++) {
                log.append(entries(i, 1));
            }
        }
        Files.write(dir.resolve(CommitLog.TEMP_NAME), new byte[] {1, 2, 3}); // a rewrite a crash interrupted
        CommitLog.rewrite(io, dir, 10, entries(4, 2));
        assertFalse(Files.exists(dir.resolve(CommitLog.TEMP_NAME)));
        CommitLog.Contents c = CommitLog.read(io, dir);
        assertEquals(1, c.records().size());
        assertEquals(new CommitLog.Record(10, entries(4, 2)), c.records().getFirst());
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            assertEquals(11, log.append(entries(20, 1)));
        }
        CommitLog.rewrite(io, dir, 11, List.of());
        assertEquals(0, CommitLog.read(io, dir).records().size(), "an empty rewrite leaves an empty log");
    }

    @Test
    void aFailedAppendUsesUpItsSequenceNumberAndAFailedSyncIsNeverRetried() throws IOException {
        FailingSyncIO io = new FailingSyncIO(SegmentFixtures.io(dir, false));
        try (CommitLog log = CommitLog.open(io, dir, 0)) {
            assertEquals(1, log.append(entries(0, 1)));
            io.failWrite.set(true);
            assertThrows(IOException.class, () -> log.append(entries(1, 1)));
            assertEquals(2, log.lastSeq(), "the failed record's number is used up, so the caller can void it");
            assertFalse(log.failed(), "a failed write is no failed sync: the next append may go ahead");
            io.failWrite.set(false);
            assertEquals(3, log.append(entries(2, 1)));
            io.failSync.set(true);
            int syncs = io.syncCalls.get();
            assertThrows(IOException.class, () -> log.append(entries(3, 1)));
            assertTrue(log.failed());
            io.failSync.set(false);
            assertThrows(IOException.class, () -> log.append(entries(4, 1)));
            assertEquals(syncs + 1, io.syncCalls.get(), "fsync is never retried on the failed log");
        }
        assertEquals(List.of(1L, 3L, 4L), CommitLog.read(SegmentFixtures.io(dir, false), dir).records().stream()
                .map(CommitLog.Record::seq).toList(), "what reached the page cache reads back; the caller voids 4 in its index");
    }

    @Test
    void anEmptyRecordIsRefused() throws IOException {
        try (CommitLog log = CommitLog.open(SegmentFixtures.io(dir, false), dir, 0)) {
            assertThrows(IllegalArgumentException.class, () -> log.append(List.of()));
        }
    }
}
