package io.spillway.index;

import java.io.IOException;

/** The index could not be opened, read or written. Wraps RocksDB's status with what was being done. */
public class IndexException extends IOException {

    public IndexException(String message, Throwable cause) {
        super(message + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""), cause);
    }
}
