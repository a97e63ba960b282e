"""Dumps, loads and lookups through a real daemon."""

from __future__ import annotations

import secrets

import pytest

import spillway
from spillway import Outcome
from conftest import fill


@pytest.mark.parametrize("size", [4096, 3 * 4096, 64 << 10, 256 << 10, 1 << 20, (2 << 20) + 4096, 8 << 20])
def test_round_trip_of_many_sizes(client, region, size):
    n = 3
    r = region(2 * n * size)
    h = client.register(r)
    keys = [secrets.token_bytes(32) for _ in range(n)]
    want = [fill(r.view(i * size, size), size * 10 + i) for i in range(n)]
    dumped = client.dump(keys, h.rows(size, n)).wait()
    assert dumped.ok, dumped
    assert dumped.bytes == n * size and dumped.durable
    r.view(n * size, n * size)[:] = bytes(n * size)
    loaded = client.load(keys, h.rows(size, n, start=n)).wait()
    assert loaded.ok, loaded
    assert [bytes(r.view((n + i) * size, size)) for i in range(n)] == want


def test_lookup_and_lookup_prefix(client, region):
    r = region(8 * 4096)
    h = client.register(r)
    keys = spillway.chain_all(list(range(8 * 16)), 16)
    stored = [0, 1, 2, 5]
    job = client.dump([keys[i] for i in stored], [h.slice(i * 4096, 4096) for i in stored])
    assert job.wait().ok
    assert client.lookup(keys) == [i in stored for i in range(8)]
    assert client.lookup_prefix(keys) == 3
    assert client.lookup_prefix(keys[3:]) == 0
    assert client.lookup_prefix(b"".join(keys[:3])) == 3  # packed keys work too
    assert client.lookup([]) == [] and client.lookup_prefix([]) == 0


def test_dedup_writes_nothing_twice(client, region):
    r = region(4 * 4096)
    h = client.register(r)
    keys = [secrets.token_bytes(32) for _ in range(4)]
    first = client.dump(keys[:2], h.rows(4096, 2)).wait()
    both = client.dump(keys, h.rows(4096, 4)).wait()
    assert first.ok and both.ok
    assert first.deduplicated == 0 and both.deduplicated == 2
    assert both.bytes == 2 * 4096


def test_two_clients_share_blocks_and_namespaces_do_not(daemon, region):
    ns = spillway.namespace_fingerprint("m", dtype="bf16", block_tokens=16)
    with daemon.client(namespace=ns) as a, daemon.client(namespace=ns) as b, \
            daemon.client(namespace=ns + "|other") as other:
        ra, rb = region(4096 * 2), region(4096 * 2)
        ha, hb = a.register(ra), b.register(rb)
        keys = [secrets.token_bytes(32) for _ in range(2)]
        want = fill(ra.view(0, 8192), 7)
        assert a.dump(keys, ha.rows(4096, 2)).wait().ok
        assert b.lookup_prefix(keys) == 2
        assert b.load(keys, hb.rows(4096, 2)).wait().ok
        assert bytes(rb.view(0, 8192)) == want
        assert other.lookup_prefix(keys) == 0
        missing = other.load(keys, other.register(region(8192)).rows(4096, 2)).wait()
        assert missing.outcomes == (Outcome.MISSING, Outcome.MISSING)


def test_delete(client, region):
    r = region(4096)
    h = client.register(r)
    key = secrets.token_bytes(32)
    assert client.dump([key], [h.slice(0, 4096)]).wait().ok
    assert client.delete([key]) == 1
    assert client.lookup([key]) == [False]
    assert client.delete([key]) == 0


def test_poll_wait_any_and_results_kept(client, region):
    r = region(64 * 4096)
    h = client.register(r)
    jobs = [client.dump([secrets.token_bytes(32) for _ in range(4)], h.rows(4096, 4, start=4 * i)) for i in range(4)]
    first = client.wait(jobs, any=True)
    assert any(x is not None for x in first)
    results = client.wait(jobs)
    assert all(x is not None and x.ok for x in results)
    assert jobs[0].wait(timeout=0) is results[0]  # kept on the Job
    with pytest.raises(spillway.UnknownJob):
        client.wait([jobs[0].id], timeout=0)


def test_refusals_keep_the_connection(client, region):
    r = region(8192)
    h = client.register(r)
    with pytest.raises(spillway.BadRequest, match="outside region"):
        client.dump([secrets.token_bytes(32)], [spillway.Slice(h.id, 8192, 4096)])
    with pytest.raises(spillway.BadRequest, match="a block is 4096 bytes"):
        client.load([secrets.token_bytes(32)], [spillway.Slice(h.id, 0, 100)])
    with pytest.raises(spillway.NoSuchRegion):
        client.dump([secrets.token_bytes(32)], [spillway.Slice(h.id + 5, 0, 4096)])
    with pytest.raises(spillway.AccessDenied):
        client.register(_outside_shm(region))
    with pytest.raises(ValueError, match="32 bytes"):
        client.lookup([b"short"])
    assert client.ping() < 5


def _outside_shm(region):
    """A Region object whose path is outside /dev/shm (the daemon must refuse it)."""
    r = region(4096)
    return spillway.Region("/etc/hostname", 4096, r._mmap, owner=False)


def test_stats_and_metrics(daemon, client):
    import urllib.request

    s = client.stats()
    assert s["server"]["connections"] >= 1 and "blocks" in s["store"] and s["connection"]["regions"] == 0
    with urllib.request.urlopen(daemon.metrics_url() + "metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert "spillway_server_connections" in text and "spillway_lookup_keys_total" in text
    with urllib.request.urlopen(daemon.metrics_url() + "health", timeout=10) as resp:
        assert resp.status == 200 and resp.read() == b"serving\n"


def test_numpy_view(client, region):
    np = pytest.importorskip("numpy")
    from spillway.arrays import as_numpy

    r = region(4 * 4096)
    h = client.register(r)
    a = as_numpy(r, np.float32, (4, 1024))
    a[:] = np.arange(4 * 1024, dtype=np.float32).reshape(4, 1024)
    keys = [secrets.token_bytes(32) for _ in range(2)]
    assert client.dump(keys, h.rows(4096, 2)).wait().ok
    a[2:] = 0
    assert client.load(keys, h.rows(4096, 2, start=2)).wait().ok
    assert (a[2:] == a[:2]).all()
    del a


def test_commit_and_rollback(region):
    from spillway.testing import Daemon
    from conftest import STORE

    with Daemon(config={**STORE, "auto_commit": False}) as d, d.client(namespace="manual") as c:
        r = region(4 * 4096)
        h = c.register(r)
        keep = [secrets.token_bytes(32) for _ in range(2)]
        drop = [secrets.token_bytes(32) for _ in range(2)]
        assert c.dump(keep, h.rows(4096, 2)).wait().ok
        assert c.dump(drop, h.rows(4096, 2, start=2)).wait().ok
        assert c.lookup(keep + drop) == [False] * 4, "nothing is visible before commit"
        assert c.commit(keep) == 2
        assert c.commit(drop, success=False) == 2
        assert c.lookup(keep + drop) == [True, True, False, False]
        assert c.load(drop, h.rows(4096, 2)).wait().outcomes == (Outcome.MISSING,) * 2
