package io.spillway.segments.io;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Native functions bound once, at class initialisation, or the reason they could not be. A
 * class of syscall wrappers keeps one in a static final field: a platform without the calls
 * still loads the class, and every wrapper then fails with the same reason.
 *
 * @param handles     the bound functions, null where unavailable
 * @param unavailable why they are unavailable, null where bound
 */
record NativeBinding<T>(T handles, String unavailable) {

    /**
     * Runs {@code bind} unless {@code problem} (a platform check's finding, or an underlying
     * binding's reason) says it cannot work; a failure to bind becomes the reason, naming
     * {@code what}.
     */
    static <T> NativeBinding<T> of(String problem, String what, Supplier<T> bind) {
        if (problem != null) {
            return new NativeBinding<>(null, problem);
        }
        try {
            return new NativeBinding<>(bind.get(), null);
        } catch (RuntimeException | LinkageError e) {
            return new NativeBinding<>(null, "binding " + what + " through FFM failed: " + e);
        }
    }

    /** Empty if the calls are bound, otherwise why not. */
    Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailable);
    }

    /** The handles; {@code facility} names what is unavailable otherwise, e.g. {@code "mmap"}. */
    T get(String facility) {
        if (handles == null) {
            throw new UnsupportedOperationException(facility + " through FFM is unavailable: " + unavailable);
        }
        return handles;
    }
}
