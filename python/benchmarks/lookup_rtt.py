"""Round-trip time of a 1,000-key lookup_prefix from Python through `spillway serve`.

Starts a daemon on a temporary store (spillway.testing.Daemon), stores a 1,000-block chain, then
times ``lookup_prefix`` of the whole chain (every key hits, so the daemon derives and looks up all
1,000 keys) in ``--runs`` runs of ``--iterations`` calls each, after a warm-up, and prints p50 and
p99 per run and their medians over the runs.

    /usr/bin/python3 python/benchmarks/lookup_rtt.py [--keys 1000] [--iterations 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import spillway  # noqa: E402
from spillway.testing import Daemon  # noqa: E402


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3000)
    a = ap.parse_args()
    with Daemon(config={"segment_size": "64MiB"}) as d, d.client(namespace="lookup-rtt") as c:
        keys = spillway.chain_all(list(range(a.keys * 16)), 16)
        region = spillway.Region.create(a.keys * 4096)
        h = c.register(region)
        assert c.dump(keys, h.rows(4096, a.keys)).wait(timeout=120).ok
        packed = b"".join(keys)
        assert c.lookup_prefix(packed) == a.keys
        for _ in range(a.warmup):
            c.lookup_prefix(packed)
        p50s, p99s = [], []
        for run in range(1, a.runs + 1):
            t = []
            for _ in range(a.iterations):
                t0 = time.perf_counter()
                hits = c.lookup_prefix(packed)
                t.append(time.perf_counter() - t0)
            assert hits == a.keys
            t.sort()
            p50s.append(percentile(t, 0.50) * 1e3)
            p99s.append(percentile(t, 0.99) * 1e3)
            print(f"run {run}: {a.keys}-key lookup_prefix round trip p50 {p50s[-1]:.3f} ms, p99 {p99s[-1]:.3f} ms "
                  f"({a.iterations} calls)", flush=True)
        print(f"medians of {a.runs} runs: p50 {statistics.median(p50s):.3f} ms, p99 {statistics.median(p99s):.3f} ms "
              f"(target: p99 < 1 ms); load average {os.getloadavg()[0]:.1f}")
        c.unregister(h)
        region.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
