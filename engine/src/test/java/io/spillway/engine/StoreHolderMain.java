package io.spillway.engine;

import io.spillway.engine.config.StoreConfig;
import java.nio.file.Path;

/**
 * Child-process helper for {@link SecondOpenerTest}: opens the store whose backend is
 * {@code args[0]}, prints {@code OPEN <pid>}, and keeps it open until stdin closes (then closes
 * it cleanly) or the process is killed.
 */
public final class StoreHolderMain {

    private StoreHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        try (SegmentStore store = SegmentStore.open(StoreConfig.builder().storageBackend(Path.of(args[0])).build())) {
            System.out.println("OPEN " + ProcessHandle.current().pid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin or kills us
            }
        }
    }
}
