package io.spillway.index;

import io.spillway.segments.BlockLocation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The {@code segments} column family: per-segment counters, the GC's figures, and the markers
 * recovery reads.
 *
 * <p>Format: key = 8-byte big-endian segment id + one field byte (so one segment's fields are
 * adjacent and a range delete drops them all); value = u64 little-endian, the operand format of
 * RocksDB's {@code uint64add} merge operator. Counters change only by merge (a decrement is the
 * two's complement addend), so accounting never needs a read-modify-write; markers are plain
 * puts.
 */
final class SegmentAccounting {

    /** Counter: payload bytes ever indexed in the segment. */
    static final byte BYTES = 'b';
    /** Counter: payload bytes the index still points at. */
    static final byte LIVE_BYTES = 'l';
    /** Counter: records ever indexed in the segment. */
    static final byte RECORDS = 'r';
    /** Counter: records the index still points at. */
    static final byte LIVE_RECORDS = 'k';
    /**
     * The published watermark of a segment: the end offset of the last group whose fate (visible,
     * or not) is durably decided. Written with a plain put in the batch that publishes that group,
     * so it is exactly as durable as the group's index entries. Recovery trusts the index for
     * records below it and decides records above it from the segment (see StoreRecovery).
     */
    static final byte WATERMARK = 'p';
    /**
     * Set (to 1) when the writer starts sealing a segment, before it reads the liveness it writes
     * into the footer: from then on the index is authoritative for that segment, and a deletion
     * racing the seal is not undone by recovery. A sealed segment without it (a lost index, or a
     * stale one rolled back to before the seal) has its footer's live entries re-added.
     */
    static final byte SEALED = 's';
    /**
     * Set (to 1) when every block ever written to a segment has had its fate reported, while the
     * process was alive: its writer failed, or the store closed with the segment left open. The
     * watermark of a fenced segment is then its whole length: recovery re-indexes nothing of it.
     */
    static final byte FENCED = 'f';

    private SegmentAccounting() {
    }

    static byte[] key(long segmentId, byte field) {
        return ByteBuffer.allocate(9).putLong(segmentId).put(field).array();
    }

    /** The first and (exclusive) last key of a segment's fields, for a range delete. */
    static byte[] firstKey(long segmentId) {
        return key(segmentId, (byte) 0);
    }

    static byte[] lastKey(long segmentId) {
        return key(segmentId, (byte) 0xff);
    }

    static byte[] u64le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** A field's value; 0 when it was never written (or is not 8 bytes, which no writer makes). */
    static long value(byte[] v) {
        return v == null || v.length != 8 ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The four counters of one segment, as summed deltas or as read back. */
    private static final class Counters {
        long bytes;
        long liveBytes;
        long records;
        long liveRecords;
    }

    /**
     * The counter changes of one batch, summed per segment so that a batch of a thousand puts
     * into one segment writes four merge operands, not four thousand.
     */
    static final class Deltas {
        private final Map<Long, Counters> bySegment = new HashMap<>();

        /** A record was indexed at {@code loc}. */
        void added(BlockLocation loc) {
            Counters c = bySegment.computeIfAbsent(loc.segmentId(), id -> new Counters());
            c.bytes += loc.storedLength();
            c.liveBytes += loc.storedLength();
            c.records++;
            c.liveRecords++;
        }

        /** The index stopped pointing at the record at {@code loc}. */
        void removed(BlockLocation loc) {
            Counters c = bySegment.computeIfAbsent(loc.segmentId(), id -> new Counters());
            c.liveBytes -= loc.storedLength();
            c.liveRecords--;
        }

        /** Adds the non-zero sums to {@code wb} as merge operands, and forgets them. */
        void flushInto(WriteBatch wb, ColumnFamilyHandle segments) throws RocksDBException {
            for (Map.Entry<Long, Counters> e : bySegment.entrySet()) {
                Counters c = e.getValue();
                merge(wb, segments, e.getKey(), BYTES, c.bytes);
                merge(wb, segments, e.getKey(), LIVE_BYTES, c.liveBytes);
                merge(wb, segments, e.getKey(), RECORDS, c.records);
                merge(wb, segments, e.getKey(), LIVE_RECORDS, c.liveRecords);
            }
            bySegment.clear();
        }

        private static void merge(WriteBatch wb, ColumnFamilyHandle segments, long id, byte field, long delta)
                throws RocksDBException {
            if (delta != 0) {
                wb.merge(segments, key(id, field), u64le(delta));
            }
        }
    }

    /** Every segment's counters, by id; markers are skipped. */
    static Map<Long, SegmentStats> readAll(RocksDB db, ColumnFamilyHandle segments) throws RocksDBException {
        Map<Long, Counters> acc = new TreeMap<>();
        try (RocksIterator it = db.newIterator(segments)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length != 9) {
                    continue;
                }
                long v = value(it.value());
                Counters c = acc.computeIfAbsent(ByteBuffer.wrap(k).getLong(), x -> new Counters());
                switch (k[8]) {
                    case BYTES -> c.bytes = v;
                    case LIVE_BYTES -> c.liveBytes = v;
                    case RECORDS -> c.records = v;
                    case LIVE_RECORDS -> c.liveRecords = v;
                    default -> { } // a marker
                }
            }
            it.status();
        }
        Map<Long, SegmentStats> out = new TreeMap<>();
        acc.forEach((id, c) -> out.put(id, new SegmentStats(id, c.bytes, c.liveBytes, c.records, c.liveRecords)));
        return out;
    }
}
