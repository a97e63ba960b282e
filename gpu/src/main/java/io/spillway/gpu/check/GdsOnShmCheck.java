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
import io.spillway.gpu.check.StoreChecks.Dumped;
import io.spillway.segments.io.FileTrees;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * cuFile refuses to register files of a disk whose volume attributes it cannot read (the device
 * machine's virtio disk). A store on /dev/shm gives compatibility mode a second chance, so that
 * cuFileRead itself is exercised where the platform allows: the first blocks of the round trip
 * are dumped there, the store is reopened (its segments sealed), and each is read to the GPU
 * through a pin.
 */
final class GdsOnShmCheck {

    private static final Path DIR = Path.of("/dev/shm/spillway-gds-check");
    /** 512 MiB of tmpfs, in 2 MiB blocks. */
    private static final int BLOCKS = 256;

    private GdsOnShmCheck() {
    }

    static void run(CheckLog log, GpuDevice dev, GpuConfig cfg, KvLayout paged, DeviceBuffer counter, Dumped dumped)
            throws Exception {
        int k = Math.min(BLOCKS, dumped.keys().size());
        List<BlockKey> keys = dumped.keys().subList(0, k);
        int[] src = Arrays.copyOf(dumped.src(), k);
        int[] dst = Arrays.copyOf(dumped.dst(), k);
        FileTrees.deleteRecursively(DIR);
        try {
            try (SegmentStore store = SegmentStore.open(CheckSupport.storeConfig(DIR));
                    GpuBlockStore gs = new GpuBlockStore(store, dev, cfg, paged)) {
                Outcome[] d = gs.dump(keys, src, TIMEOUT);
                log.check(allOk(d), "GPU -> store on /dev/shm dump of " + k + " blocks: " + summary(d));
            }
            try (SegmentStore store = SegmentStore.open(CheckSupport.storeConfig(DIR));
                    PinnedStagingPool pool = new PinnedStagingPool(dev, 64 * MIB, 128 * MIB);
                    DeviceFileReader reader = DeviceFileReader.open(dev, cfg.withCufile(true), pool);
                    BlockCopier pc = new BlockCopier(dev, paged, 1);
                    DeviceBuffer scratch = dev.allocate(paged.blockBytes())) {
                List<PinnedRecord> pins = SegmentReadChecks.pinAll(store, keys);
                try {
                    int[] into = pins.stream().mapToInt(p -> dst[keys.indexOf(p.key())]).toArray();
                    poison(pc, dst, src);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < pins.size(); i++) {
                        reader.readVerified(pins.get(i), scratch.address());
                        pc.fromContiguous(scratch.address(), into[i]);
                    }
                    double g = gbps(k * paged.blockBytes(), System.nanoTime() - t0);
                    long after = pc.countMismatches(src, dst, counter);
                    log.check(after == 0, "store on /dev/shm -> GPU via " + SegmentReadChecks.how(reader) + ": " + k
                            + " blocks, CRC verified, differing bytes " + after);
                    log.row("segment on /dev/shm -> GPU, use_cufile: true (" + reader.cufileReads() + " cuFileRead, "
                            + reader.posixReads() + " POSIX)", g);
                } finally {
                    pins.forEach(PinnedRecord::close);
                }
            }
        } finally {
            FileTrees.deleteRecursively(DIR);
        }
    }
}
