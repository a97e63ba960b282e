package io.spillway.server.protocol;

import io.spillway.engine.api.Outcome;
import java.util.Arrays;

/**
 * One job's entry in a WAIT reply. On the wire, 32 bytes, then for a {@link State#DONE} job one
 * outcome byte per block ({@link OutcomeCode}) and a detail string:
 * <pre>
 *   offset size field
 *        0    8 job id
 *        8    1 state: 0 pending, 1 done, 2 unknown (never issued on this connection, or already reported)
 *        9    1 kind: 1 dump, 2 load (0 when unknown)
 *       10    1 durable: 1 if every OK block of a dump is on stable storage
 *       11    1 reserved, 0
 *       12    4 blocks
 *       16    8 bytes moved by blocks that ended OK
 *       24    4 deduplicated blocks (dumps)
 *       28    4 elapsed microseconds, submission to completion (saturates at 2^32-1)
 *       32    blocks x u8 outcome codes, then str detail      (done only)
 * </pre>
 *
 * @param outcomes one code per block ({@link OutcomeCode}), empty unless done
 * @param detail the first non-OK block's message, or "" (done only)
 */
public record JobReport(long jobId, State state, int kind, boolean durable, int blocks, long bytes, int deduplicated,
                        long elapsedMicros, byte[] outcomes, String detail) {

    /** Where a job stands. */
    public enum State {
        PENDING(0), DONE(1), UNKNOWN(2);

        private final int code;

        State(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static State ofCode(int code) {
            for (State s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return null;
        }
    }

    public static final int KIND_DUMP = 1;
    public static final int KIND_LOAD = 2;

    /** The report of a job id this connection does not have. */
    public static JobReport unknown(long jobId) {
        return new JobReport(jobId, State.UNKNOWN, 0, false, 0, 0, 0, 0, new byte[0], "");
    }

    /** Block {@code i}'s outcome, or null for a code this version does not know. */
    public Outcome outcome(int i) {
        return OutcomeCode.outcome(Byte.toUnsignedInt(outcomes[i]));
    }

    /** Whether the job is done and every block ended OK. */
    public boolean allOk() {
        if (state != State.DONE) {
            return false;
        }
        for (byte b : outcomes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    void encode(FrameWriter w) {
        w.u64(jobId).u8(state.code()).u8(kind).u8(durable ? 1 : 0).u8(0).u32(blocks).u64(bytes).u32(deduplicated)
                .u32(Math.min(elapsedMicros, 0xFFFF_FFFFL));
        if (state == State.DONE) {
            w.bytes(outcomes).string(detail, Protocol.MAX_MESSAGE_BYTES);
        }
    }

    static JobReport decode(BodyReader r) throws ProtocolException {
        long id = r.u64("job id");
        int stateCode = r.u8("job state");
        State state = State.ofCode(stateCode);
        if (state == null) {
            throw r.fail("unknown job state " + stateCode);
        }
        int kind = r.u8("job kind");
        boolean durable = r.u8("durable") != 0;
        r.reserved(1, "job report's reserved byte");
        int blocks = r.count("job blocks", Protocol.MAX_KEYS);
        long bytes = r.u64("job bytes");
        int dedup = (int) r.u32("deduplicated");
        long elapsed = r.u32("elapsed");
        byte[] outcomes = new byte[0];
        String detail = "";
        if (state == State.DONE) {
            outcomes = r.bytes(blocks, "outcomes");
            detail = r.string("detail", 0, Protocol.MAX_MESSAGE_BYTES);
        }
        return new JobReport(id, state, kind, durable, blocks, bytes, dedup, elapsed, outcomes, detail);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobReport j && j.jobId == jobId && j.state == state && j.kind == kind && j.durable == durable
                && j.blocks == blocks && j.bytes == bytes && j.deduplicated == deduplicated && j.elapsedMicros == elapsedMicros
                && Arrays.equals(j.outcomes, outcomes) && j.detail.equals(detail);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(jobId) * 31 + state.hashCode();
    }

    @Override
    public String toString() {
        return "JobReport[" + jobId + " " + state + ", " + blocks + " blocks, " + bytes + " bytes"
                + (detail.isEmpty() ? "" : ", " + detail) + "]";
    }
}
