"""GpuStaging with CPU tensors against real daemons: KV blocks dumped and loaded back byte for byte.

No transformers needed (Debian's CPU-only torch is enough). Both load paths run: ``Cache|Disk``
(DRAM hits copied straight out of the daemon's read-only arena, PIN/UNPIN around the copies) and
``Disk`` (the daemon reads into the load region). On a torch without CUDA any CUDA call (a host
registration, a stream) would fail, so these tests also show the CPU path makes none.
"""

from __future__ import annotations

import secrets

import pytest

torch = pytest.importorskip("torch", reason="the HF connector's tests need torch (apt-get install python3-torch)")

from spillway.hf.kvlayout import KvGeometry, gather_blocks, scatter_blocks  # noqa: E402
from spillway.hf.staging import GpuStaging  # noqa: E402

from conftest import flip_in_arena, flip_on_disk, kv_block_bytes, random_kv, wait_written_back  # noqa: E402

# 2 layers x K,V x 2 heads x 16 tokens x 16 dims x 4 bytes: 8 KiB blocks.
GEOMETRY = KvGeometry(layers=2, kv_heads=2, head_dim=16, dtype=torch.float32, block_tokens=16)
UNUSED = 0x5A  # what the load region holds before a load, to tell which path a load took


@pytest.fixture(params=["Cache|Disk", "Disk"])
def staged(request, kv_daemon):
    daemon = kv_daemon(request.param, GEOMETRY.block_bytes)
    with daemon.client(namespace="hf-staging|" + secrets.token_hex(4)) as client:
        # Small regions and chunks, so a load of 12 blocks takes several chunks and passes.
        staging = GpuStaging(client, GEOMETRY, max_blocks=4, device=torch.device("cpu"), chunk_blocks=3,
                             dump_blocks=4)
        try:
            yield request.param, daemon, client, staging
        finally:
            staging.close()


def _keys(batch: int, n: int):
    return [[secrets.token_bytes(32) for _ in range(n)] for _ in range(batch)]


def _dumped(staging, client, seed: int, batch: int = 2, n: int = 6):
    """Dumps blocks 1..n of a random ``batch``-row cache; returns (its layers, the keys)."""
    layers = random_kv(GEOMETRY, batch=batch, tokens=(n + 1) * GEOMETRY.block_tokens + 5, seed=seed)
    rows = _keys(batch, n)
    results = staging.dump(rows, layers, first_block=1)
    assert results and all(r.ok for r in results), results
    assert [client.lookup_prefix(r) for r in rows] == [n] * batch
    return layers, rows


def test_the_cpu_staging_is_chosen_and_maps_the_arena_only_with_a_dram_tier(staged):
    pipeline, _, _, staging = staged
    assert type(staging.copies).__name__ == "_CpuCopies"
    if pipeline == "Cache|Disk":
        assert staging.arena is not None, staging.arena_note
    else:
        assert staging.arena is None and staging.arena_note == "the daemon's store has no DRAM tier"


def test_dumped_blocks_load_back_byte_for_byte(staged):
    pipeline, _, client, staging = staged
    layers, rows = _dumped(staging, client, seed=11)
    staging.load_host.fill_(UNUSED)
    loaded = staging.load(rows)
    assert loaded is not None, staging.last_error
    assert loaded.device.type == "cpu" and loaded.shape == (2, 6, GEOMETRY.block_bytes)
    assert torch.equal(loaded, gather_blocks(layers, GEOMETRY, 1, 6))
    n = GEOMETRY.block_tokens
    for (k, v), (k2, v2) in zip(layers, scatter_blocks(loaded, GEOMETRY)):
        assert torch.equal(k[:, :, n:7 * n], k2) and torch.equal(v[:, :, n:7 * n], v2)
    untouched = bool((staging.load_host == UNUSED).all())
    # DRAM hits are copied out of the arena and never pass through the load region; without a
    # DRAM tier every block does.
    assert untouched == (pipeline == "Cache|Disk")
    assert client.stats()["server"].get("pins", 0) == 0, "every pin is released after the copies"


def test_a_missing_block_fails_the_whole_load(staged):
    _, _, client, staging = staged
    _, rows = _dumped(staging, client, seed=12, batch=1, n=3)
    rows[0][1] = secrets.token_bytes(32)
    assert staging.load(rows) is None
    assert "MISSING" in staging.last_error, staging.last_error


def test_a_corrupt_block_is_served_by_another_tier_or_fails_the_load(staged):
    pipeline, daemon, client, staging = staged
    layers, rows = _dumped(staging, client, seed=13)
    if pipeline == "Cache|Disk":
        # A DRAM copy that fails its CRC at PIN is dropped, and LOAD reads the disk tier's copy:
        # blocks 1 and 4 of row 1 come through the region, the rest out of the arena.
        wait_written_back(client)
        flip_in_arena(client, rows[1][1])
        flip_in_arena(client, rows[1][4])
        loaded = staging.load(rows)
        assert loaded is not None, staging.last_error
        assert torch.equal(loaded, gather_blocks(layers, GEOMETRY, 1, 6))
        flip_in_arena(client, rows[0][2])
    # A block no tier holds intact: the load says CORRUPT and returns nothing.
    bad = kv_block_bytes(layers, GEOMETRY, 3, row=0)
    flip_on_disk(daemon.directory, bad, len(bad) // 2)
    assert staging.load(rows) is None
    assert "CORRUPT" in staging.last_error, staging.last_error
    assert client.lookup_prefix(rows[0]) == 2, "the corrupt block is dropped from the index"
    # Dumped again (as a recompute would), the block is served again.
    assert all(r.ok for r in staging.dump(rows, layers, first_block=1))
    loaded = staging.load(rows)
    assert loaded is not None, staging.last_error
    assert torch.equal(loaded, gather_blocks(layers, GEOMETRY, 1, 6))


def test_a_device_that_is_neither_cuda_nor_cpu_is_refused(kv_daemon):
    with kv_daemon("Disk", GEOMETRY.block_bytes).client(namespace="hf-staging|meta") as client:
        with pytest.raises(ValueError, match="CUDA device or the CPU, not on meta"):
            GpuStaging(client, GEOMETRY, 4, torch.device("meta"))
