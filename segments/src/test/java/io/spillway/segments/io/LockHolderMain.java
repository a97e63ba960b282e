package io.spillway.segments.io;

import java.nio.file.Path;

/**
 * Child-process helper for {@link StoreLockTest}: takes the store lock on {@code args[0]},
 * prints {@code LOCKED <pid>}, and holds it until stdin closes or the process is killed.
 */
public final class LockHolderMain {

    private LockHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        try (StoreLock lock = StoreLock.acquire(Path.of(args[0]))) {
            System.out.println("LOCKED " + ProcessHandle.current().pid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin or kills us
            }
        }
    }
}
