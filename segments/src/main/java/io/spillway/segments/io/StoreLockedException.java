package io.spillway.segments.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The store directory is already open, by another process or by this one.
 *
 * <p>Why a dedicated type: "one writer per store directory" is an invariant, and the CLI turns
 * this exception into a message telling the operator which process to stop, instead of a
 * generic IO failure.
 */
public class StoreLockedException extends IOException {

    private final Path directory;
    private final long ownerPid;

    /**
     * @param directory the store directory
     * @param ownerPid  the holder's PID as recorded in the LOCK file, or -1 if unknown
     * @param message   the full message, naming the directory and the holder
     */
    public StoreLockedException(Path directory, long ownerPid, String message) {
        super(message);
        this.directory = directory;
        this.ownerPid = ownerPid;
    }

    /** The store directory that is locked. */
    public Path directory() {
        return directory;
    }

    /** The holder's PID as recorded in the LOCK file (it may be on another host), if known. */
    public OptionalLong ownerPid() {
        return ownerPid < 0 ? OptionalLong.empty() : OptionalLong.of(ownerPid);
    }
}
