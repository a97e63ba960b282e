package io.spillway.engine;

import io.spillway.segments.io.NativeIOException;

/** Whether a failure means the space ran out: the store's capacity, or the file system's (ENOSPC). */
final class NoSpace {

    private NoSpace() {
    }

    static boolean is(Throwable e) {
        return e instanceof StoreFullException || e instanceof NativeIOException n && n.isNoSpace();
    }
}
