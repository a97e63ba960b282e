package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.MIB;
import static io.spillway.gpu.check.CheckSupport.TIMEOUT;
import static io.spillway.gpu.check.CheckSupport.allOk;
import static io.spillway.gpu.check.CheckSupport.gbps;
import static io.spillway.gpu.check.CheckSupport.poison;
import static io.spillway.gpu.check.CheckSupport.summary;

import io.spillway.engine.PinnedRecord;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.gpu.BlockCopier;
import io.spillway.gpu.DeviceBuffer;
import io.spillway.gpu.DeviceFileReader;
import io.spillway.gpu.GpuBlockStore;
import io.spillway.gpu.GpuConfig;
import io.spillway.gpu.GpuDevice;
import io.spillway.gpu.KvLayout;
import io.spillway.gpu.PinnedStagingPool;
import io.spillway.gpu.check.BandwidthCheck.PcieReference;
import io.spillway.gpu.check.StoreChecks.Dumped;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordKey;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads of the round trip's blocks from the store reopened (its segments sealed): the pipelined
 * load again against the disk's own speed, then each payload straight from its segment file to
 * the GPU ({@link DeviceFileReader}, cuFile tried and forced off), and a flipped byte refused.
 * Every direct read is of a pinned record, so the GC cannot delete a file under it.
 */
final class SegmentReadChecks {

    private SegmentReadChecks() {
    }

    /** Pins every key, in file order (segment, then offset), so that direct reads go through each file once. */
    static List<PinnedRecord> pinAll(SegmentStore store, List<BlockKey> keys) throws Exception {
        List<PinnedRecord> pins = new ArrayList<>(keys.size());
        try {
            for (BlockKey k : keys) {
                pins.add(store.pin(k).orElseThrow(() -> new IllegalStateException("block " + k.shortHex() + " is not in the store")));
            }
        } catch (Exception | Error e) {
            pins.forEach(PinnedRecord::close);
            throw e;
        }
        pins.sort(Comparator.comparingLong((PinnedRecord p) -> p.location().segmentId())
                .thenComparingLong(p -> p.location().payloadOffset()));
        return pins;
    }

    static void run(CheckLog log, GpuDevice dev, GpuConfig cfg, KvLayout paged, DeviceBuffer counter, SegmentStore store,
            Dumped dumped, PcieReference pcie) throws Exception {
        List<BlockKey> keys = dumped.keys();
        int n = keys.size();
        Map<RecordKey, Integer> index = new HashMap<>();
        for (int i = 0; i < n; i++) {
            index.put(keys.get(i), i);
        }
        List<PinnedRecord> pins = pinAll(store, keys);
        try {
            // The virtual disk's speed drifts, so the load and its reference are each taken
            // twice, alternating, and compared as means.
            double diskRead = DiskReadReference.measure(pins, 4);
            double load2;
            try (GpuBlockStore gs = new GpuBlockStore(store, dev, cfg, paged)) {
                poison(gs.copier(), dumped.dst(), dumped.src());
                long t0 = System.nanoTime();
                Outcome[] l = gs.load(keys, dumped.dst(), TIMEOUT);
                load2 = gbps(n * paged.blockBytes(), System.nanoTime() - t0);
                long after = gs.copier().countMismatches(dumped.src(), dumped.dst(), counter);
                log.check(allOk(l) && after == 0, "store reopened -> GPU pipelined load again: " + summary(l)
                        + ", differing bytes " + after);
            }
            double diskRead2 = DiskReadReference.measure(pins, 4);
            double disk = (diskRead + diskRead2) / 2;
            log.row(String.format("disk -> GPU pipelined load (DMA scatter), mean of %.2f and %.2f", dumped.loadGbps(), load2),
                    (dumped.loadGbps() + load2) / 2, String.format("min(disk read, mean of %.2f and %.2f; PCIe H2D %.2f)",
                            diskRead, diskRead2, pcie.h2d()), Math.min(disk, pcie.h2d()), 0.85);
            for (boolean useCufile : new boolean[] {true, false}) {
                directReads(log, dev, cfg.withCufile(useCufile), paged, counter, pins, index, dumped);
            }
            corruptPayloadIsRefused(log, dev, cfg, paged, pins.getFirst());
        } finally {
            pins.forEach(PinnedRecord::close);
        }
    }

    /**
     * One store block is contiguous in its file; paged KV is not. Each payload is read into a
     * device scratch block, then scattered device to device.
     */
    private static void directReads(CheckLog log, GpuDevice dev, GpuConfig cfg, KvLayout paged, DeviceBuffer counter,
            List<PinnedRecord> pins, Map<RecordKey, Integer> index, Dumped dumped) throws Exception {
        int n = pins.size();
        try (PinnedStagingPool pool = new PinnedStagingPool(dev, 64 * MIB, 128 * MIB);
                DeviceFileReader reader = DeviceFileReader.open(dev, cfg, pool);
                BlockCopier pc = new BlockCopier(dev, paged, 1);
                DeviceBuffer scratch = dev.allocate(paged.blockBytes())) {
            poison(pc, dumped.dst(), CheckSupport.range(0, n));
            int[] readSrc = new int[n];
            int[] readDst = new int[n];
            int blocks = 0;
            long t0 = System.nanoTime();
            for (PinnedRecord pin : pins) {
                int i = index.get(pin.key());
                reader.readVerified(pin, scratch.address());
                pc.fromContiguous(scratch.address(), dumped.dst()[i]);
                readSrc[blocks] = dumped.src()[i];
                readDst[blocks] = dumped.dst()[i];
                blocks++;
            }
            double g = gbps(blocks * paged.blockBytes(), System.nanoTime() - t0);
            long after = pc.countMismatches(Arrays.copyOf(readSrc, blocks), Arrays.copyOf(readDst, blocks), counter);
            log.check(blocks == n && after == 0, "segment payloads -> GPU via " + how(reader) + ": " + blocks
                    + " blocks, CRC verified, differing bytes " + after);
            log.row("segment file -> GPU, " + (cfg.useCufile() ? "use_cufile: true (" + reader.cufileReads() + " cuFileRead, "
                    + reader.posixReads() + " POSIX)" : "use_cufile: false (POSIX)") + ", one 2 MiB read at a time", g);
        }
    }

    static String how(DeviceFileReader reader) {
        return reader.mode() + ": " + reader.cufileReads() + " cuFileRead, " + reader.posixReads() + " POSIX"
                + (reader.lastFallback() != null ? " (per-file fallback: " + reader.lastFallback() + ")" : "");
    }

    /** A payload with a flipped byte is refused, through both paths, and the destination left alone. */
    private static void corruptPayloadIsRefused(CheckLog log, GpuDevice dev, GpuConfig cfg, KvLayout paged, PinnedRecord pin)
            throws Exception {
        long at = pin.location().payloadOffset() + 100;
        try (FileChannel ch = FileChannel.open(pin.file(), StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x5a));
            ch.write(one.rewind(), at);
            ch.force(true);
        }
        for (boolean useCufile : new boolean[] {true, false}) {
            try (PinnedStagingPool pool = new PinnedStagingPool(dev, 64 * MIB, 128 * MIB);
                    DeviceFileReader reader = DeviceFileReader.open(dev, cfg.withCufile(useCufile), pool);
                    DeviceBuffer scratch = dev.allocate(paged.blockBytes())) {
                boolean refused;
                try {
                    reader.readVerified(pin, scratch.address());
                    refused = false;
                } catch (CorruptRecordException e) {
                    refused = true;
                }
                log.check(refused, "a payload with a flipped byte is refused with a CRC error via " + reader.mode());
            }
        }
    }
}
