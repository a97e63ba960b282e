"""The daemon on store_pipeline "Cache|Disk": the DRAM tier in front of the segment store."""

from __future__ import annotations

import os
import secrets
import time

from spillway.testing import Daemon
from conftest import CACHE_PATH, STORE, fill

PIPELINE = {**STORE, "store_pipeline": "Cache|Disk", "buffer_size": "64MiB", "kv_block_size": "1MiB"}


def _counter(stats, name):
    return stats["store"]["counters"].get(name, 0)


def test_cache_disk_serves_dumps_loads_and_lookups_from_dram(region, tmp_path):
    cache = CACHE_PATH + "-pipeline"
    with Daemon(tmp_path / "store", config={**PIPELINE, "cache_path": cache}) as d, d.client(namespace="pipeline") as c:
        size = 1 << 20
        n = 8
        r = region(2 * n * size)
        h = c.register(r)
        keys = [secrets.token_bytes(32) for _ in range(n)]
        want = [fill(r.view(i * size, size), 700 + i) for i in range(n)]
        dumped = c.dump(keys, h.rows(size, n)).wait()
        assert dumped.ok, dumped
        assert c.lookup_prefix(keys) == n
        loaded = c.load(keys, h.rows(size, n, start=n)).wait()
        assert loaded.ok, loaded
        assert [bytes(r.view((n + i) * size, size)) for i in range(n)] == want
        s = c.stats()
        assert s["store"]["config"]["cache.state"] == "serving", s["store"]["config"]
        assert _counter(s, "cache.hits") >= n, s["store"]["counters"]
        # A block larger than a DRAM slot goes straight to the disk tier, and is durable when done.
        big = c.dump([secrets.token_bytes(32)], [h.slice(0, 2 * size)]).wait()
        assert big.ok and big.durable, big
        # The write-back drains: the blocks reach the disk tier behind the DRAM tier.
        deadline = time.monotonic() + 30
        while _counter(c.stats(), "writeback.blocks") < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _counter(c.stats(), "writeback.blocks") >= n
    # Restarted on the same store and cache: the DRAM tier is warm, the first loads are hits.
    with Daemon(tmp_path / "store", config={**PIPELINE, "cache_path": cache}) as d, d.client(namespace="pipeline") as c:
        h = c.register(r)
        loaded = c.load(keys, h.rows(size, n, start=n)).wait()
        assert loaded.ok, loaded
        assert [bytes(r.view((n + i) * size, size)) for i in range(n)] == want
        assert _counter(c.stats(), "cache.hits") >= n
    assert os.path.isdir(cache), "the arena stays under /dev/shm for the next owner"
