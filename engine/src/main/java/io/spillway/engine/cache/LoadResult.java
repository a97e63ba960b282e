package io.spillway.engine.cache;

import io.spillway.engine.api.Outcome;

/** The outcome of one load from the DRAM tier ({@link CacheTier#loadNow}), with a detail when it is not OK. */
record LoadResult(Outcome outcome, String detail) {
    static final LoadResult MISS = new LoadResult(Outcome.MISSING, "not in the DRAM tier");
}
