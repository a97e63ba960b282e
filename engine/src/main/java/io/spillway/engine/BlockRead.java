package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.Checksums;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ReadQueue;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * One block of a load, read as concurrent chunk reads into the store's own aligned bounce
 * chunks, with its CRC32C computed while the later chunks are still in flight.
 *
 * <p>Chunk {@code k} covers bytes {@code [k * chunkBytes, (k + 1) * chunkBytes)} of the payload's
 * read range ({@link SegmentReader#payloadReadLength}); every chunk starts on the alignment, so
 * each is a valid O_DIRECT read. Chunks complete in any order, on any of the read queue's
 * threads; the checksum must see them in order. Whichever thread delivers the next chunk in
 * line takes the checksum over (one at a time, outside the lock) and feeds it every chunk that
 * is in line by then; a thread that delivers a chunk out of order only records it.
 *
 * <p>The block is {@linkplain #done done} only when every chunk read has reported, failed ones
 * included: until then the kernel may still write into the bounce chunks, so they cannot go back
 * to the pool. Exactly one thread sees {@link #onDone} called.
 */
final class BlockRead {

    /** How a block read ended. */
    enum Result { VERIFIED, CORRUPT, IO_ERROR }

    final TaskImpl task;
    final int index;
    final RecordKey key;
    final BlockLocation loc;
    final List<MemorySegment> destination;

    private SegmentReader reader;
    private List<MemorySegment> chunks;
    private long chunkBytes;
    private long readLength;
    private Consumer<BlockRead> onDone;
    /** Only the thread that holds {@link #checking} touches it. */
    private final CRC32C crc = new CRC32C();

    // guarded by this
    private long[] arrivedBytes; // -1 until chunk k reported
    private int arrived;
    private int nextToCheck;
    private long checkedBytes;
    private boolean checking;
    private boolean truncated;
    private boolean finished;
    private IOException ioError;
    private CorruptRecordException corruption;

    BlockRead(TaskImpl task, int index, RecordKey key, BlockLocation loc, List<MemorySegment> destination) {
        this.task = task;
        this.index = index;
        this.key = key;
        this.loc = loc;
        this.destination = destination;
    }

    /** Chunks needed for a payload read of {@code readLength} bytes. */
    static int chunksFor(long readLength, long chunkBytes) {
        return Math.toIntExact((readLength + chunkBytes - 1) / chunkBytes);
    }

    /**
     * Starts one read per chunk. A chunk whose read cannot start counts as failed at once; the
     * block still waits for the chunks already started.
     *
     * @param chunks bounce chunks of {@code chunkBytes} each, {@link #chunksFor} of them (the last one may be longer than needed)
     */
    void start(ReadQueue queue, SegmentReader reader, List<MemorySegment> chunks, long chunkBytes, Consumer<BlockRead> onDone) {
        this.reader = reader;
        this.chunks = chunks;
        this.chunkBytes = chunkBytes;
        this.readLength = reader.payloadReadLength(loc);
        this.onDone = onDone;
        int n = chunksFor(readLength, chunkBytes);
        synchronized (this) {
            arrivedBytes = new long[n];
            Arrays.fill(arrivedBytes, -1);
        }
        for (int k = 0; k < n; k++) {
            long at = k * chunkBytes;
            long len = Math.min(chunkBytes, readLength - at);
            int chunk = k;
            try {
                reader.readAsync(queue, chunks.get(k).asSlice(0, len), loc.payloadOffset() + at, new ReadQueue.ReadCompletion() {
                    @Override
                    public void completed(long bytes) {
                        arrive(chunk, bytes, null);
                    }

                    @Override
                    public void failed(IOException error) {
                        arrive(chunk, -1, error);
                    }
                });
            } catch (IOException | RuntimeException e) {
                IOException why = e instanceof IOException io ? io : new IOException("read of segment " + loc.segmentId() + " refused: " + e, e);
                for (int rest = k; rest < n; rest++) {
                    arrive(rest, -1, why);
                }
                return;
            }
        }
    }

    /** Payload bytes (stored, not padding) that chunk {@code k} must hold. */
    private long storedIn(int k) {
        return Math.max(0, Math.min(chunkBytes, loc.storedLength() - k * chunkBytes));
    }

    private void arrive(int k, long bytes, IOException error) {
        synchronized (this) {
            arrivedBytes[k] = error == null ? bytes : 0;
            arrived++;
            if (error != null && ioError == null) {
                ioError = error;
            }
            if (checking) {
                return; // the thread that checks will see this chunk when it gets there
            }
            checking = true;
        }
        checkInOrder();
    }

    /** Feeds the checksum every chunk that is in line, one at a time, outside the lock. */
    private void checkInOrder() {
        while (true) {
            int k;
            long bytes;
            synchronized (this) {
                boolean inLine = ioError == null && !truncated && nextToCheck < arrivedBytes.length && arrivedBytes[nextToCheck] >= 0;
                if (!inLine) {
                    checking = false;
                    if (arrived < arrivedBytes.length || finished) {
                        return;
                    }
                    finished = true;
                    break;
                }
                k = nextToCheck;
                bytes = arrivedBytes[k];
            }
            // A short chunk means the file ended there: nothing after it is checked, and the
            // checked length falls short of the stored length, which result() reports.
            long have = Math.min(bytes, storedIn(k));
            if (have > 0) {
                Checksums.update(crc, chunks.get(k).asSlice(0, have));
            }
            synchronized (this) {
                checkedBytes += have;
                nextToCheck++;
                truncated = bytes < storedIn(k);
            }
        }
        onDone.accept(this);
    }

    /** How the read ended; call after {@link #onDone}. Throws the corruption for {@link Result#CORRUPT}. */
    Result result() {
        synchronized (this) {
            if (ioError != null) {
                return Result.IO_ERROR;
            }
        }
        try {
            reader.checkPayload(loc, checkedBytes, (int) crc.getValue());
            return Result.VERIFIED;
        } catch (CorruptRecordException e) {
            synchronized (this) {
                corruption = e;
            }
            return Result.CORRUPT;
        }
    }

    synchronized IOException ioError() {
        return ioError;
    }

    /** The checksum or length failure, after {@link #result()} said {@link Result#CORRUPT}. */
    synchronized CorruptRecordException corruption() {
        return corruption;
    }

    /** The bounce chunks holding the payload (verified once {@link #result()} said so). */
    List<MemorySegment> chunks() {
        return chunks;
    }

    long chunkBytes() {
        return chunkBytes;
    }
}
