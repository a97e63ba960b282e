package io.spillway.server.protocol;

import java.util.Arrays;

/** A decoded request body. The layouts are in {@link RequestDecoder} and docs/protocol.md. */
public sealed interface Request {

    MessageType type();

    /** States the client's namespace fingerprint; must be the first request but PING. */
    record Hello(String namespace, String clientName) implements Request {
        @Override
        public MessageType type() {
            return MessageType.HELLO;
        }
    }

    record Ping() implements Request {
        @Override
        public MessageType type() {
            return MessageType.PING;
        }
    }

    /** Maps {@code size} bytes from the start of the file at {@code path} (under /dev/shm). */
    record RegisterRegion(long size, String path) implements Request {
        @Override
        public MessageType type() {
            return MessageType.REGISTER_REGION;
        }
    }

    record UnregisterRegion(int region) implements Request {
        @Override
        public MessageType type() {
            return MessageType.UNREGISTER_REGION;
        }
    }

    record Lookup(KeyArray keys) implements Request {
        @Override
        public MessageType type() {
            return MessageType.LOOKUP;
        }
    }

    record LookupPrefix(KeyArray keys) implements Request {
        @Override
        public MessageType type() {
            return MessageType.LOOKUP_PREFIX;
        }
    }

    /** A dump or a load: one slice per key. */
    sealed interface Transfer extends Request {
        KeyArray keys();

        SliceArray slices();
    }

    record Dump(KeyArray keys, SliceArray slices) implements Transfer {
        @Override
        public MessageType type() {
            return MessageType.DUMP;
        }
    }

    record Load(KeyArray keys, SliceArray slices) implements Transfer {
        @Override
        public MessageType type() {
            return MessageType.LOAD;
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (0: a poll) for every listed job ({@code any} false) or
     * for one of them ({@code any} true).
     */
    record Wait(int timeoutMillis, boolean any, long[] jobs) implements Request {
        @Override
        public MessageType type() {
            return MessageType.WAIT;
        }

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
        @Override
        public MessageType type() {
            return MessageType.COMMIT;
        }
    }

    record Delete(KeyArray keys) implements Request {
        @Override
        public MessageType type() {
            return MessageType.DELETE;
        }
    }

    record Stats() implements Request {
        @Override
        public MessageType type() {
            return MessageType.STATS;
        }
    }
}
