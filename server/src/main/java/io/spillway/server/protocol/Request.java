package io.spillway.server.protocol;

import java.util.Arrays;

/** A decoded request body. The layouts are in {@link RequestDecoder} and docs/protocol.md. */
public sealed interface Request {

    /** The frame type this request travels as (each request type has one, {@link MessageType#of}). */
    default MessageType type() {
        return MessageType.of(this);
    }

    /** States the client's namespace fingerprint; must be the first request but PING. */
    record Hello(String namespace, String clientName) implements Request {
    }

    record Ping() implements Request {
    }

    /** Maps {@code size} bytes from the start of the file at {@code path} (under /dev/shm). */
    record RegisterRegion(long size, String path) implements Request {
    }

    record UnregisterRegion(int region) implements Request {
    }

    record Lookup(KeyArray keys) implements Request {
    }

    record LookupPrefix(KeyArray keys) implements Request {
    }

    /** A dump or a load: one slice per key. */
    sealed interface Transfer extends Request {
        KeyArray keys();

        SliceArray slices();
    }

    record Dump(KeyArray keys, SliceArray slices) implements Transfer {
    }

    record Load(KeyArray keys, SliceArray slices) implements Transfer {
    }

    /**
     * Waits up to {@code timeoutMillis} (0: a poll) for every listed job ({@code any} false) or
     * for one of them ({@code any} true).
     */
    record Wait(int timeoutMillis, boolean any, long[] jobs) implements Request {
        @Override
        public boolean equals(Object o) {
            return o instanceof Wait w && w.timeoutMillis == timeoutMillis && w.any == any && Arrays.equals(w.jobs, jobs);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * timeoutMillis + Boolean.hashCode(any)) + Arrays.hashCode(jobs);
        }

        @Override
        public String toString() {
            return "Wait[" + timeoutMillis + " ms, " + (any ? "any" : "all") + " of " + jobs.length + " jobs]";
        }
    }

    record Commit(boolean success, KeyArray keys) implements Request {
    }

    record Delete(KeyArray keys) implements Request {
    }

    record Stats() implements Request {
    }

    /** Where the DRAM tier's arena is. */
    record Arena() implements Request {
    }

    /** Hold blocks in the arena for a copy straight out of it. */
    record Pin(KeyArray keys) implements Request {
    }

    /** Release a pin. */
    record Unpin(long pin) implements Request {
    }
}
