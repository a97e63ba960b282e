"""Fixtures: real daemons (``spillway serve`` child processes) on temporary stores."""

from __future__ import annotations

import os
import secrets

import pytest

from spillway import Region
from spillway.testing import Daemon

# Small segments so tests do not preallocate a GiB per writer; a short deadline so failure tests are quick.
STORE = {"segment_size": "64MiB", "stream_number": 2, "timeout_ms": 10000}

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
