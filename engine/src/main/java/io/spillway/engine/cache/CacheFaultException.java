package io.spillway.engine.cache;

import java.io.IOException;

/**
 * The arena's memory faulted (SIGBUS, seen as an {@link InternalError}): its file was truncated
 * or its tmpfs lost pages under us. The tier stops using the arena; the pipeline carries on with
 * the disk tier.
 */
public final class CacheFaultException extends IOException {

    CacheFaultException(String message, Throwable cause) {
        super(message, cause);
    }
}
