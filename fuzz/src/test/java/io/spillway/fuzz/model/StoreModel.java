package io.spillway.fuzz.model;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.BlockKey;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the store may and must hold, key by key: the oracle.
 *
 * <p>For each key the model keeps the generations a load may return ({@code may}), whether the
 * key must be present ({@code required}: a durable, acknowledged, committed dump not deleted
 * since), and, under manual commit, the generations written but not yet committed. Where the
 * store may legitimately go either way (a dump in flight at a crash, a dedup against a block
 * that may or may not have survived) the model widens {@code may} rather than guess.
 *
 * <p>The postconditions it checks are the design invariants: a load returns exactly the bytes of
 * a generation in {@code may} or reports missing, and missing only when not {@code required}
 * (invariants 1 and 2); rolled-back and failed dumps never enter {@code may} (invariant 3).
 */
final class StoreModel {

    /** One key's state. */
    static final class KeyState {
        final Set<Long> may = new HashSet<>();
        /** Generations a delete removed: a lost or rolled-back index cannot know of the delete. */
        final Set<Long> deletedGens = new HashSet<>();
        boolean required;
        final Set<Long> pending = new HashSet<>();
        boolean pendingCertain;
        /** An eviction may have dropped the pending dump: a new dump may then be stored, not deduplicated. */
        boolean pendingMayBeGone;

        @Override
        public String toString() {
            return "may=" + may + (required ? " required" : "") + (pending.isEmpty() ? "" : " pending=" + pending);
        }
    }

    private final Map<BlockKey, KeyState> keys = new HashMap<>();
    /** IO errors and timeouts are acceptable outcomes (faults are being injected). */
    boolean faultsActive;
    /** A corrupt-block report is acceptable (bits were flipped, or durability none lost a tail). */
    boolean corruptionPossible;

    KeyState state(BlockKey k) {
        return keys.computeIfAbsent(k, x -> new KeyState());
    }

    /** A dump of {@code gen} was submitted; it is in flight until {@link #dumpEnded}. */
    void dumpEnded(BlockKey k, long gen, Outcome outcome, boolean durable, boolean autoCommit, boolean completed) {
        KeyState s = state(k);
        if (!completed) {
            // In flight at a crash: it may or may not have made it (never under manual commit,
            // where nothing was committed).
            if (autoCommit) {
                s.may.add(gen);
            }
            return;
        }
        if (outcome != Outcome.OK) {
            return; // failed, timed out, rolled back, full: never visible (invariant 3)
        }
        if (autoCommit) {
            if (s.required) {
                return; // deduplicated against the block that must be there
            }
            boolean certainlyAbsent = s.may.isEmpty();
            s.may.add(gen);
            if (certainlyAbsent) {
                s.may.retainAll(Set.of(gen));
            }
            s.required |= durable;
        } else {
            if (s.required || (!s.pending.isEmpty() && !s.pendingMayBeGone)) {
                return; // dedup against a stored or an uncommitted block
            }
            // After an eviction that may have dropped the pending dump, this one may be stored or
            // deduplicated: either may be what a commit publishes.
            s.pendingCertain = s.pending.isEmpty() && s.may.isEmpty();
            s.pending.add(gen);
        }
    }

    /** {@code commit(keys, success)} returned. */
    void committed(List<BlockKey> ks, boolean success, boolean durable) {
        for (BlockKey k : ks) {
            KeyState s = state(k);
            if (success && !s.pending.isEmpty()) {
                s.may.addAll(s.pending);
                s.required |= durable && s.pendingCertain;
            }
            s.pending.clear();
            s.pendingMayBeGone = false;
        }
    }

    /**
     * {@code commit(keys, true)} threw (an IO fault on the commit log): nothing changed, unless
     * its log record reached the disk before the fault, in which case a recovery finishes it.
     */
    void commitInDoubt(List<BlockKey> ks) {
        for (BlockKey k : ks) {
            state(k).may.addAll(state(k).pending);
        }
    }

    /** {@code delete(keys)} returned: none of them may load any more (invariant 3). */
    void deleted(List<BlockKey> ks) {
        for (BlockKey k : ks) {
            KeyState s = state(k);
            s.deletedGens.addAll(s.may);
            s.may.clear();
            s.pending.clear();
            s.pendingMayBeGone = false;
            s.required = false;
        }
    }

    /** A GC pass ran: any block may have been evicted, dumps awaiting commit too; none may come back wrong. */
    void evictionPossible() {
        for (KeyState s : keys.values()) {
            s.required = false;
            if (!s.pending.isEmpty()) {
                s.pendingCertain = false;
                s.pendingMayBeGone = true;
            }
        }
    }

    /** A crash dropped every uncommitted manual dump. */
    void crashed() {
        for (KeyState s : keys.values()) {
            s.pending.clear();
            s.pendingMayBeGone = false;
        }
    }

    /**
     * The index was rolled back or lost. Every durable block is still required: recovery
     * rebuilds it from the segments (footers, auto-commit records past the watermark) and from
     * the commit log (manual commits). Deleted generations may reappear.
     */
    void indexLost() {
        for (KeyState s : keys.values()) {
            // Recovery rebuilds what it can from segments (footers, and auto-commit records past
            // the published watermark), and a delete lived only in the lost index: the deleted
            // generations' records may come back, with their own, correct bytes (README,
            // "Remaining windows").
            s.may.addAll(s.deletedGens);
        }
    }

    /**
     * Checks one load's outcome and bytes.
     *
     * @return null if allowed, else what is wrong
     */
    String checkLoad(BlockKey k, Outcome outcome, MemorySegment bytes) {
        KeyState s = state(k);
        switch (outcome) {
            case OK -> {
                long gen = Content.generationOf(bytes);
                if (!s.may.contains(gen) || !Content.matches(bytes, k, gen)) {
                    return "WRONG BYTES for " + k.shortHex() + ": claims generation " + gen + " (bytes "
                            + (Content.matches(bytes, k, gen) ? "intact" : "damaged") + "), model " + s;
                }
                // Observed: the index points at this one now.
                s.may.retainAll(Set.of(gen));
                return null;
            }
            case MISSING -> {
                return s.required ? "LOST durable block " + k.shortHex() + ": load said MISSING, model " + s : null;
            }
            case CORRUPT -> {
                if (!corruptionPossible) {
                    return "unexpected CORRUPT for " + k.shortHex() + ", model " + s;
                }
                s.required = false; // the store unindexed it, as it must
                return null;
            }
            default -> {
                return faultsActive ? null : "unexpected " + outcome + " for " + k.shortHex() + " with no fault injected, model " + s;
            }
        }
    }

    /**
     * Checks {@code lookup(ks)}'s answer: no key the model says is absent, none that is required missing.
     *
     * @return null if allowed, else what is wrong
     */
    String checkLookup(List<BlockKey> ks, BitSet hits) {
        for (int i = 0; i < ks.size(); i++) {
            if (hits.get(i) && !mayBePresent(ks.get(i))) {
                return "lookup claims " + ks.get(i).shortHex() + " which the model says is absent: " + state(ks.get(i));
            }
            if (!hits.get(i) && required(ks.get(i))) {
                return "lookup misses " + ks.get(i).shortHex() + ", which must be there: " + state(ks.get(i));
            }
        }
        return null;
    }

    /**
     * Checks {@code lookupPrefix(chain)}'s answer: every key it counts may be present, and it does
     * not stop at one that must be.
     *
     * @param from the chain's first position, for messages
     * @return null if allowed, else what is wrong
     */
    String checkPrefix(List<BlockKey> chain, int from, int hits) {
        for (int i = 0; i < hits; i++) {
            if (!mayBePresent(chain.get(i))) {
                return "lookupPrefix claims " + chain.get(i).shortHex() + " (chain position " + (from + i)
                        + ") which the model says is absent: " + state(chain.get(i));
            }
        }
        if (hits < chain.size() && required(chain.get(hits))) {
            return "lookupPrefix stopped at " + (from + hits) + " but " + chain.get(hits).shortHex() + " must be there: "
                    + state(chain.get(hits));
        }
        return null;
    }

    /** Whether a lookup may say the key is present. */
    boolean mayBePresent(BlockKey k) {
        return !state(k).may.isEmpty();
    }

    boolean required(BlockKey k) {
        return state(k).required;
    }
}
