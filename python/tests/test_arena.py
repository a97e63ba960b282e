"""ARENA, PIN and UNPIN against a real ``Cache|Disk`` daemon: copies straight out of the DRAM tier."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import spillway
from spillway import NoArena, Outcome, Region
from spillway.testing import Daemon

from conftest import STORE, fill, flip_in_arena

BLOCK = 64 << 10


@pytest.fixture(scope="module")
def cache_daemon():
    shm = f"/dev/shm/spillway-test-arena-{os.getpid()}-{secrets.token_hex(4)}"
    config = {**STORE, "store_pipeline": "Cache|Disk", "buffer_size": "16MiB", "kv_block_size": BLOCK,
              "cache_path": shm}
    try:
        with Daemon(config=config) as d:
            yield d
    finally:
        shutil.rmtree(shm, ignore_errors=True)


@pytest.fixture
def cclient(cache_daemon):
    with cache_daemon.client(namespace="arena|" + secrets.token_hex(4)) as c:
        yield c


def stored(client, region, n, seed):
    """Dumps ``n`` blocks of deterministic bytes; returns (keys, their bytes)."""
    r = region(n * BLOCK)
    reg = client.register(r)
    data = [fill(r.view(i * BLOCK, BLOCK), seed + i) for i in range(n)]
    keys = [spillway.from_int(seed * 1000 + i) for i in range(n)]
    assert client.dump(keys, reg.rows(BLOCK, n)).wait().ok
    return keys, data


def test_pinned_blocks_are_the_dumped_bytes_at_their_offsets(cclient, region):
    keys, data = stored(cclient, region, 8, seed=1)
    info = cclient.arena()
    assert info.path.startswith("/dev/shm/") and info.size > 0 and info.page_size >= 4096
    arena = Region.open(info.path, info.size, readonly=True)
    try:
        with cclient.pin(keys) as pin:
            assert pin.id != 0 and pin.pinned == 8
            assert all(o is Outcome.OK for o in pin.outcomes)
            for i in range(8):
                assert pin.offsets[i] % info.page_size == 0
                assert pin.lengths[i] == BLOCK
                assert bytes(arena.view(pin.offsets[i], pin.lengths[i])) == data[i]
        assert pin.released
    finally:
        arena.close()


def test_a_block_not_in_the_dram_tier_is_missing_and_nothing_is_held(cclient):
    pin = cclient.pin([spillway.from_int(987654321)])
    assert pin.outcomes == (Outcome.MISSING,)
    assert pin.id == 0 and pin.released and pin.pinned == 0
    pin.release()  # a no-op


def test_mixed_hits_and_misses_keep_their_order(cclient, region):
    keys, _ = stored(cclient, region, 2, seed=2)
    ask = [keys[0], spillway.from_int(555), keys[1]]
    with cclient.pin(ask) as pin:
        assert pin.outcomes == (Outcome.OK, Outcome.MISSING, Outcome.OK)


def test_a_pinned_block_deleted_meanwhile_keeps_its_bytes_until_unpinned(cclient, region):
    keys, data = stored(cclient, region, 1, seed=3)
    info = cclient.arena()
    arena = Region.open(info.path, info.size, readonly=True)
    try:
        pin = cclient.pin(keys)
        assert cclient.delete(keys) == 1
        # Deleted, but held: the slot is not reused, so the bytes are still the dumped ones.
        assert bytes(arena.view(pin.offsets[0], BLOCK)) == data[0]
        pin.release()
        assert cclient.lookup(keys) == [False]
    finally:
        arena.close()


def test_a_corrupted_dram_copy_is_reported_corrupt_and_dropped(cclient, region):
    keys, _ = stored(cclient, region, 1, seed=4)
    flip_in_arena(cclient, keys[0])
    pin = cclient.pin(keys)
    assert pin.outcomes == (Outcome.CORRUPT,) and pin.id == 0


def test_a_client_killed_while_holding_pins_leaves_none(cache_daemon, cclient, region):
    keys, _ = stored(cclient, region, 4, seed=5)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {os.path.join(os.path.dirname(__file__), '..', 'src')!r})
        import spillway
        c = spillway.Client({cache_daemon.socket_path!r}, namespace={cclient.namespace!r})
        p = c.pin([bytes.fromhex(h) for h in {[k.hex() for k in keys]!r}])
        assert p.pinned == 4
        print("pinned", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL and "pinned" in proc.stdout, proc.stderr
    # The daemon released the dead client's pins: the blocks can be deleted and their slots freed.
    import time

    deadline = time.monotonic() + 10
    while cclient.stats()["server"].get("pins", 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cclient.stats()["server"]["pins"] == 0
    assert cclient.delete(keys) == 4


def test_a_disk_only_daemon_has_no_arena(client):
    with pytest.raises(NoArena):
        client.arena()
    with pytest.raises(NoArena):
        client.pin([spillway.from_int(1)])
