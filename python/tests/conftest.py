"""Fixtures: real daemons (``spillway serve`` child processes) on temporary stores."""

from __future__ import annotations

import os
import secrets

import pytest

from spillway import Region
from spillway.testing import Daemon

# Small segments so tests do not preallocate a GiB per writer; a short deadline so failure tests are quick.
BASE_STORE = {"segment_size": "64MiB", "stream_number": 2, "timeout_ms": 10000}
STORE = dict(BASE_STORE)

# SPILLWAY_TEST_PIPELINE="Cache|Disk" runs the suite against daemons with the DRAM tier in front
# (a small arena of this session's own under /dev/shm). Its dumps complete once cached, so the
# tests that assert a dump is durable at once fail there by design; see test_pipeline.py.
PIPELINE = os.environ.get("SPILLWAY_TEST_PIPELINE", "Disk")
CACHE_PATH = f"/dev/shm/spillway-pytest-{os.getpid()}-{secrets.token_hex(4)}"
if PIPELINE != "Disk":
    STORE.update({"store_pipeline": PIPELINE, "buffer_size": "256MiB", "cache_path": CACHE_PATH})


@pytest.fixture(scope="session", autouse=True)
def _cache_path_removed():
    """Removes the session's DRAM-tier directories (this one and test_pipeline's) once every daemon stopped."""
    yield
    import glob
    import shutil

    for d in glob.glob(CACHE_PATH + "*"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def daemon():
    with Daemon(config=STORE, metrics_port=0) as d:
        yield d


@pytest.fixture(scope="session")
def kv_daemon():
    """``kv_daemon(pipeline, block_bytes)``: a daemon of that store pipeline and ``kv_block_size``, shared by the session.

    The HF connector's tests (test_hf_staging.py, test_hf_transformers.py) each ask for a ``Disk``
    and a ``Cache|Disk`` one; sharing them saves a JVM start per module.
    """
    started: dict = {}

    def get(pipeline: str, block_bytes: int) -> Daemon:
        if (pipeline, block_bytes) not in started:
            config = {**BASE_STORE, "store_pipeline": pipeline, "kv_block_size": block_bytes}
            if pipeline != "Disk":
                config.update({"buffer_size": "16MiB", "cache_path": f"{CACHE_PATH}-kv{len(started)}"})
            started[(pipeline, block_bytes)] = Daemon(config=config)  # stopped at the end even if it fails to start
            started[(pipeline, block_bytes)].start()
        return started[(pipeline, block_bytes)]

    yield get
    for d in started.values():
        d.stop()


@pytest.fixture
def client(daemon):
    with daemon.client(namespace="tests|" + secrets.token_hex(4)) as c:
        yield c


@pytest.fixture
def region():
    """Makes /dev/shm regions of the test's own, closed (and removed) at the end."""
    made: list[Region] = []

    def make(size: int) -> Region:
        r = Region.create(size)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
        assert not os.path.exists(r.path)


def fill(view: memoryview, seed: int) -> bytes:
    """Writes deterministic bytes for ``seed`` into ``view`` and returns them."""
    import random

    data = random.Random(seed).randbytes(len(view))
    view[:] = data
    return data


def flip_on_disk(directory: str, data: bytes, at: int) -> None:
    """Flips one bit of byte ``at`` of the one block whose bytes are ``data``, in the segment file that holds it."""
    import glob

    hits = []
    for seg in glob.glob(os.path.join(directory, "**", "seg-*"), recursive=True):
        with open(seg, "rb") as f:
            content = f.read()
        where = content.find(data[:4096])
        if where >= 0:
            hits.append((seg, where))
    assert len(hits) == 1, f"the block's bytes should be in exactly one segment file, found {hits}"
    seg, where = hits[0]
    fd = os.open(seg, os.O_WRONLY)
    try:
        os.pwrite(fd, bytes([data[at] ^ 0x01]), where + at)
        os.fsync(fd)
    finally:
        os.close(fd)


def flip_in_arena(client, key: bytes, at: int = 100) -> None:
    """Flips one bit of byte ``at`` of ``key``'s block in the daemon's DRAM-tier arena, as a stray write or bad DRAM would."""
    info = client.arena()
    with client.pin([key]) as pin:
        where = pin.offsets[0] + at
    with open(info.path, "r+b") as f:
        f.seek(where)
        b = f.read(1)[0]
        f.seek(where)
        f.write(bytes([b ^ 0x10]))


def wait_written_back(client, timeout: float = 30.0) -> None:
    """Waits until the DRAM tier's write-back queue is empty: every block dumped so far is on the disk tier too."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        counters = client.stats()["store"]["counters"]
        assert "writeback.queue" in counters, f"the daemon's store has no write-back (no DRAM tier?): {counters}"
        if counters["writeback.queue"] == 0:
            return
        assert time.monotonic() < deadline, f"the write-back queue did not drain in {timeout} s"
        time.sleep(0.05)


def random_kv(geometry, batch: int, tokens: int, seed: int):
    """Per-layer ``(K, V)`` of ``[batch, kv_heads, tokens, head_dim]``, random normal in ``geometry.dtype`` (needs torch)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    shape = (batch, geometry.kv_heads, tokens, geometry.head_dim)
    return [(torch.randn(shape, generator=g).to(geometry.dtype), torch.randn(shape, generator=g).to(geometry.dtype))
            for _ in range(geometry.layers)]


def kv_block_bytes(layers, geometry, block: int, row: int = 0) -> bytes:
    """The bytes the store holds for block ``block`` of row ``row`` of per-layer ``(K, V)`` (on any device)."""
    from spillway.hf.kvlayout import gather_blocks

    return bytes(gather_blocks(layers, geometry, block, 1)[row, 0].cpu().tolist())
