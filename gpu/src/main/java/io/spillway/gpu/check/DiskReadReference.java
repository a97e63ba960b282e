package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.MIB;

import io.spillway.engine.PinnedRecord;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.segments.io.StoreFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The same-run disk reference for the store's loads: raw O_DIRECT reads of exactly the payloads
 * a load reads, in random order, as many threads at once as the store has readers. No CRC, no
 * copy: what the disk gives.
 *
 * <p>The records are pinned by the caller for the whole measurement, so the GC cannot delete a
 * file under it; each thread opens its own descriptor per segment by the pinned file's name.
 */
final class DiskReadReference {

    private DiskReadReference() {
    }

    /** GB/s of reading every pinned record's stored bytes, {@code threads} at once. */
    static double measure(List<PinnedRecord> records, int threads) throws Exception {
        List<PinnedRecord> work = new ArrayList<>(records);
        Collections.shuffle(work, new Random(3));
        PosixFileIO io = new PosixFileIO(true, 4096);
        AtomicLong next = new AtomicLong();
        AtomicLong total = new AtomicLong();
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(ex.submit(() -> {
                    Map<Long, StoreFile> open = new HashMap<>();
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment buf = a.allocate(4 * MIB, 4096);
                        for (long i; (i = next.getAndIncrement()) < work.size();) {
                            PinnedRecord r = work.get((int) i);
                            BlockLocation loc = r.location();
                            StoreFile sf = open.get(loc.segmentId());
                            if (sf == null) {
                                sf = io.openRead(r.file());
                                open.put(loc.segmentId(), sf);
                            }
                            sf.read(buf.asSlice(0, SegmentLayout.alignUp(loc.storedLength(), 4096)), loc.payloadOffset());
                            total.addAndGet(loc.storedLength());
                        }
                    } finally {
                        for (StoreFile sf : open.values()) {
                            sf.close();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return total.get() / ((System.nanoTime() - t0) / 1e9) / 1e9;
        } finally {
            ex.shutdown();
        }
    }
}
