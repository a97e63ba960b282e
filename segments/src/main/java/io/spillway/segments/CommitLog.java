package io.spillway.segments;

import io.spillway.segments.KeyLocationCodec.Field;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The manual-commit log: {@code commits.log} in the store's first directory, the segments' own
 * record of which manual-commit blocks were committed, so that a lost or stale index can be
 * rebuilt from the data directory alone without losing a committed block.
 *
 * <p>Why it exists: a record written under manual commit cannot say, in its own header, whether
 * the caller later committed or rolled it back. The index holds that decision; a segment's footer
 * holds it too, but only for decisions taken before the segment was sealed. Auto-commit records
 * need no log (every record past the index's watermark was a dump in flight, which recovery may
 * keep), manual ones do, or a rebuilt index would lose every block committed after its segment
 * was written. Each {@code commit(keys, true)} therefore appends the committed locations here and
 * fdatasyncs them <em>before</em> the index learns of the commit, with the record's sequence
 * number written into the index in the same batch: recovery applies exactly the records whose
 * sequence the index has not seen.
 *
 * <p>Format: records back to back, each starting on a multiple of the IO alignment and padded
 * with zeros to the next one (so an O_DIRECT append never rewrites an earlier record's bytes):
 * <pre>
 * record header, {@value #HEADER_BYTES} bytes:
 *  0  u32  magic 'SPWC'
 *  4  u16  format version (1)
 *  6  u16  reserved, zero
 *  8  u64  sequence number (grows by one per record; a rewrite keeps the highest)
 * 16  u32  entry count n
 * 20  u32  CRC32C of the n entries
 * 24  u32  reserved, zero
 * 28  u32  CRC32C of bytes [0, 28)
 * n entries, {@value #ENTRY_BYTES} bytes each:
 *  0 [32]  block key
 * 32  u64  segment id
 * 40  u64  payload offset
 * 48  u32  stored length
 * 52  u32  raw length
 * 56  u32  payload CRC32C
 * 60  u8   codec id
 * 61  u8   flags
 * 62  u16  reserved, zero
 * 64  u64  write time, ms
 * </pre>
 * A reader stops at the first record that is zero (the end) or fails a check (a torn append,
 * which was never acknowledged); everything before it is valid. Rewrites (dropping entries that
 * no longer matter) go to {@value #TEMP_NAME} and replace the log by rename, then a directory
 * fsync, so a crash leaves the old log or the new one, never a mix.
 *
 * <p>Not thread-safe: the store appends under its publisher's lock.
 */
public final class CommitLog implements AutoCloseable {

    /** The log's file name in the store's first directory. */
    public static final String FILE_NAME = "commits.log";
    /** The name a rewrite is written under before it replaces the log. */
    public static final String TEMP_NAME = "commits.log.tmp";
    public static final int HEADER_BYTES = 32;
    public static final int ENTRY_BYTES = 72;
    public static final int MAGIC = 0x43575053; // 'SPWC'
    public static final int VERSION = 1;
    /** Entries per record at most; a larger commit is split into several records. */
    public static final int MAX_ENTRIES = 1 << 16;

    /** Bytes 0 to 71 of an entry in the table above. */
    private static final KeyLocationCodec ENTRY = KeyLocationCodec.of(Field.KEY, Field.SEGMENT_ID, Field.PAYLOAD_OFFSET,
            Field.STORED_LENGTH, Field.RAW_LENGTH, Field.PAYLOAD_CRC, Field.CODEC, Field.FLAGS, Field.RESERVED_U16, Field.WRITE_TIME);

    /** One committed block. */
    public record Entry(RecordKey key, BlockLocation location) {
    }

    /** One valid record. */
    public record Record(long seq, List<Entry> entries) {
    }

    /**
     * What a read found.
     *
     * @param records the valid records, in file order
     * @param validEnd where the valid records end (the next append goes here)
     * @param tornBytes bytes past {@code validEnd} that are not zero (a torn append)
     */
    public record Contents(List<Record> records, long validEnd, long tornBytes) {

        /** The highest sequence number in the log, 0 if it is empty. */
        public long lastSeq() {
            return records.isEmpty() ? 0 : records.getLast().seq();
        }
    }

    private final StoreFile file;
    private final int unit;
    private long end;
    private long lastSeq;
    private boolean failed;

    private CommitLog(StoreFile file, int unit, long end, long lastSeq) {
        this.file = file;
        this.unit = unit;
        this.end = end;
        this.lastSeq = lastSeq;
    }

    /** Reads the log in {@code dir} (empty if there is none). */
    public static Contents read(FileIO io, Path dir) throws IOException {
        Path path = dir.resolve(FILE_NAME);
        if (!io.exists(path)) {
            return new Contents(List.of(), 0, 0);
        }
        try (StoreFile f = io.openRead(path)) {
            return read(f, unitOf(io));
        }
    }

    /**
     * Opens the log in {@code dir} for appending, creating it if needed; a torn tail is cut off.
     *
     * @param minSeq the next record gets a sequence number above this too (the index's, which a
     *     lost or older log must not fall behind)
     */
    public static CommitLog open(FileIO io, Path dir, long minSeq) throws IOException {
        Path path = dir.resolve(FILE_NAME);
        if (!io.exists(path)) {
            try (StoreFile created = io.create(path)) {
                created.sync();
            }
            io.syncDirectory(dir);
        }
        StoreFile f = io.openWrite(path);
        try {
            int unit = unitOf(io);
            Contents c = read(f, unit);
            if (f.size() > c.validEnd()) {
                // A torn append (never acknowledged): cut it off, so that nothing after the next
                // append can ever be read as part of the log.
                f.truncate(c.validEnd());
                f.sync();
            }
            return new CommitLog(f, unit, c.validEnd(), Math.max(minSeq, c.lastSeq()));
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The sequence number of the last record appended or found, or of the last append that failed. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Bytes of the log. */
    public long size() {
        return end;
    }

    /**
     * Appends one record of {@code entries} with the next sequence number and makes it durable
     * (fdatasync). The sequence number is used up even if the append fails, so that the caller
     * can void it ({@link #lastSeq()}): a record whose write or sync failed may still reach the
     * disk, and must never take effect once its caller was told it failed. After a failed write
     * (ENOSPC, EIO) the next append overwrites the same place. After a failed sync the log takes
     * no more appends ({@link #failed()}), since a failed fsync is never retried (the kernel may
     * have dropped the pages it could not write): the caller rewrites the log into a new file.
     *
     * @return the record's sequence number
     */
    public long append(List<Entry> entries) throws IOException {
        if (failed) {
            throw new IOException("the commit log's last sync failed; it takes no more records (rewrite it)");
        }
        if (entries.isEmpty() || entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(entries.size() + " entries in one commit-log record (1 to " + MAX_ENTRIES + ")");
        }
        long seq = ++lastSeq;
        byte[] encoded = encode(seq, entries, unit);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(encoded.length, unit);
            MemorySegment.copy(encoded, 0, buf, ValueLayout.JAVA_BYTE, 0, encoded.length);
            file.write(buf, end);
            try {
                file.sync();
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }
        end += encoded.length;
        return seq;
    }

    /** Whether a sync failed: the log takes no more appends. */
    public boolean failed() {
        return failed;
    }

    /**
     * Replaces the log in {@code dir} with one record holding {@code entries} at sequence
     * {@code seq} (or an empty log): written to {@value #TEMP_NAME}, synced, renamed over the
     * log, directory synced. Any log open for appending must be closed first.
     */
    public static void rewrite(FileIO io, Path dir, long seq, List<Entry> entries) throws IOException {
        int unit = unitOf(io);
        Path tmp = dir.resolve(TEMP_NAME);
        io.delete(tmp);
        try (StoreFile f = io.create(tmp); Arena arena = Arena.ofConfined()) {
            long at = 0;
            for (int from = 0; from < entries.size(); from += MAX_ENTRIES) {
                byte[] encoded = encode(seq, entries.subList(from, Math.min(entries.size(), from + MAX_ENTRIES)), unit);
                MemorySegment buf = arena.allocate(encoded.length, unit);
                MemorySegment.copy(encoded, 0, buf, ValueLayout.JAVA_BYTE, 0, encoded.length);
                f.write(buf, at);
                at += encoded.length;
            }
            f.sync();
        }
        io.rename(tmp, dir.resolve(FILE_NAME));
        io.syncDirectory(dir);
    }

    /** The record alignment: the IO's (O_DIRECT needs it), at least a sector. */
    private static int unitOf(FileIO io) {
        return Math.max(io.alignment(), 512);
    }

    /** One record, padded to {@code unit}. */
    static byte[] encode(long seq, List<Entry> entries, int unit) {
        int body = entries.size() * ENTRY_BYTES;
        byte[] out = new byte[Math.toIntExact(SegmentLayout.alignUp(HEADER_BYTES + body, unit))];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries.size(); i++) {
            ENTRY.encode(b, HEADER_BYTES + i * ENTRY_BYTES, entries.get(i).key(), entries.get(i).location());
        }
        b.putInt(0, MAGIC).putShort(4, (short) VERSION).putLong(8, seq).putInt(16, entries.size())
                .putInt(20, Checksums.crc32c(out, HEADER_BYTES, body));
        b.putInt(28, Checksums.crc32c(out, 0, 28));
        return out;
    }

    private static Contents read(StoreFile f, int unit) throws IOException {
        long size = f.size();
        List<Record> records = new ArrayList<>();
        long pos = 0;
        long lastSeq = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(unit, unit);
            while (pos + HEADER_BYTES <= size) {
                long n = f.read(head, pos);
                ByteBuffer h = head.asSlice(0, Math.max(0, n)).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                if (n < HEADER_BYTES || h.getInt(0) != MAGIC) {
                    break;
                }
                byte[] hb = new byte[28];
                h.get(0, hb);
                long count = Integer.toUnsignedLong(h.getInt(16));
                long seq = h.getLong(8);
                if (h.getInt(28) != Checksums.crc32c(hb, 0, 28) || h.getShort(4) != VERSION || count == 0
                        || count > MAX_ENTRIES || seq < Math.max(1, lastSeq)) {
                    break;
                }
                int len = Math.toIntExact(SegmentLayout.alignUp(HEADER_BYTES + count * ENTRY_BYTES, unit));
                if (pos + len > size) {
                    break;
                }
                MemorySegment rec = arena.allocate(len, unit);
                if (f.read(rec, pos) < len) {
                    break;
                }
                byte[] bytes = rec.toArray(ValueLayout.JAVA_BYTE);
                int body = Math.toIntExact(count * ENTRY_BYTES);
                if (h.getInt(20) != Checksums.crc32c(bytes, HEADER_BYTES, body)) {
                    break;
                }
                List<Entry> entries = decodeEntries(bytes, (int) count, pos);
                if (entries == null) {
                    break;
                }
                records.add(new Record(seq, entries));
                lastSeq = seq;
                pos += len;
            }
            return new Contents(List.copyOf(records), pos, nonZeroBytes(f, arena, unit, pos, size));
        }
    }

    /**
     * The entries of a record whose CRCs passed, or null when one of them is still invalid (an
     * unknown codec id, a negative field): the reader then stops there as at a torn record.
     */
    private static List<Entry> decodeEntries(byte[] bytes, int count, long recordOffset) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int p = HEADER_BYTES + i * ENTRY_BYTES;
            try {
                out.add(new Entry(ENTRY.decodeKey(b, p), ENTRY.decodeLocation(b, p, -1, recordOffset + p)));
            } catch (CorruptRecordException e) {
                return null;
            }
        }
        return out;
    }

    /** Counts non-zero bytes in [from, size): a torn append, for the log line. */
    private static long nonZeroBytes(StoreFile f, Arena arena, int unit, long from, long size) throws IOException {
        if (from >= size) {
            return 0;
        }
        MemorySegment buf = arena.allocate(unit, unit);
        long nonZero = 0;
        for (long pos = from; pos < size; pos += unit) {
            long n = f.read(buf, pos);
            for (long i = 0; i < n; i++) {
                nonZero += buf.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            }
        }
        return nonZero;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
