"""Contract tests of spillway.vllm.SpillwayTier against real daemons, driven as vLLM's scheduler drives a
secondary tier: construction through the factory's keywords, lookup (retrying on None), submit_store /
submit_load with CPU-tier row numbers, get_finished polled until the job is reported, failures.

vLLM is not installed here: the tier's base class and JobMetadata/JobResult are spillway.vllm._compat's
stand-ins (vLLM's own types when vLLM is importable). The CPU tier is faked as vLLM lays it out: a file
/dev/shm/vllm_offload_<engine_id>.mmap of page-aligned rows, handed to the tier as a 2-D memoryview.
"""

from __future__ import annotations

import glob
import mmap
import os
import secrets
import time
from types import SimpleNamespace

import numpy as np
import pytest

from spillway.testing import Daemon
from spillway.vllm import HashNotDeterministic, JobMetadata, SpillwayTier, VLLM_AVAILABLE, check_hash_determinism, store_key
from spillway.vllm import spec as vllm_spec
from conftest import STORE

ROW = 64 << 10
ROWS = 16


class CpuTier:
    """vLLM's shared CPU region: the file, its mapping, and the (rows, row_bytes) view vLLM gives tiers."""

    def __init__(self, rows: int = ROWS, row_bytes: int = ROW) -> None:
        self.engine_id = f"spillway-test-{os.getpid()}-{secrets.token_hex(4)}"
        self.path = f"/dev/shm/vllm_offload_{self.engine_id}.mmap"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, rows * row_bytes)
            self._mmap = mmap.mmap(fd, rows * row_bytes, flags=mmap.MAP_SHARED)
        finally:
            os.close(fd)
        self.rows = np.frombuffer(self._mmap, dtype=np.uint8).reshape(rows, row_bytes)
        # Fresh bytes per tier: rows equal across tests would deduplicate in the shared daemon.
        self.rows[:] = np.random.default_rng().integers(0, 256, self.rows.shape, dtype=np.uint8)
        self.view = memoryview(self.rows)

    def close(self) -> None:
        self.view.release()
        del self.rows
        self._mmap.close()
        os.unlink(self.path)


def vllm_config(engine_id: str, algo: str = "sha256") -> SimpleNamespace:
    """The parts of a VllmConfig the tier reads."""
    return SimpleNamespace(
        model_config=SimpleNamespace(model="Qwen/QwQ-32B", revision=None, dtype="torch.bfloat16"),
        cache_config=SimpleNamespace(block_size=16, cache_dtype="auto", prefix_caching_hash_algo=algo),
        parallel_config=SimpleNamespace(tensor_parallel_size=1, pipeline_parallel_size=1),
        kv_transfer_config=SimpleNamespace(engine_id=engine_id))


def offload_keys(n: int, group: int = 0) -> list[bytes]:
    """vLLM OffloadKeys: a 32-byte block hash plus the 4-byte big-endian group index."""
    return [secrets.token_bytes(32) + group.to_bytes(4, "big") for _ in range(n)]


def make_tier(daemon: Daemon, cpu: CpuTier, **config) -> SpillwayTier:
    """As SecondaryTierFactory.create_secondary_tier calls the class."""
    return SpillwayTier(vllm_config=vllm_config(cpu.engine_id), primary_kv_view=cpu.view, tier_type="spillway",
                        socket=daemon.socket_path, **config)


def finish(tier: SpillwayTier, job_ids: set[int], within: float = 30.0) -> dict[int, bool]:
    """Polls get_finished, as the scheduler does every step, until every job is reported (bounded)."""
    got: dict[int, bool] = {}
    deadline = time.monotonic() + within
    while not job_ids <= got.keys():
        for r in tier.get_finished():
            assert r.job_id not in got, f"job {r.job_id} reported twice"
            got[r.job_id] = r.success
        assert time.monotonic() < deadline, f"jobs {job_ids - got.keys()} not reported within {within} s"
        time.sleep(0.005)
    return got


def job(job_id: int, keys: list[bytes], rows: list[int], promotion: bool = False) -> JobMetadata:
    return JobMetadata(job_id=job_id, keys=keys, block_ids=np.array(rows, dtype=np.int64), is_promotion=promotion,
                       req_context=SimpleNamespace(req_id=f"req-{job_id}"))


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")


@pytest.fixture
def cpu():
    c = CpuTier()
    yield c
    c.close()


@pytest.fixture
def tier(daemon, cpu):
    t = make_tier(daemon, cpu)
    yield t
    t.shutdown()


def test_store_then_load_into_other_rows_gives_identical_bytes(tier, cpu):
    keys = offload_keys(4)
    want = cpu.rows[0:4].copy()
    tier.submit_store(job(1, keys, [0, 1, 2, 3]))
    assert finish(tier, {1}) == {1: True}
    assert [tier.lookup(k, None) for k in keys] == [True] * 4
    cpu.rows[0:4] = 0
    cpu.rows[8:12] = 0
    tier.submit_load(job(2, keys, [11, 8, 9, 10], promotion=True))
    assert finish(tier, {2}) == {2: True}
    assert np.array_equal(cpu.rows[[11, 8, 9, 10]], want)
    assert not cpu.rows[0:4].any(), "a load writes only its own rows"
    assert tier.get_finished() == [], "a job is reported once"


def test_unknown_keys_miss_and_a_load_of_one_fails(tier, cpu):
    stored, unknown = offload_keys(1), offload_keys(2)
    tier.submit_store(job(1, stored, [5]))
    assert finish(tier, {1}) == {1: True}
    assert [tier.lookup(k, None) for k in unknown] == [False, False]
    before = cpu.rows[6:8].copy()
    tier.submit_load(job(2, [stored[0], unknown[0]], [6, 7]))
    assert finish(tier, {2}) == {2: False}
    assert np.array_equal(cpu.rows[7], before[1]), "a missing block leaves its row untouched"


def test_group_index_and_namespace_separate_keys(daemon, tier, cpu):
    block_hash = secrets.token_bytes(32)
    g0, g1 = block_hash + (0).to_bytes(4, "big"), block_hash + (1).to_bytes(4, "big")
    assert store_key(g0) != store_key(g1) and len(store_key(g0)) == 32
    tier.submit_store(job(1, [g0], [0]))
    assert finish(tier, {1}) == {1: True}
    assert tier.lookup(g0, None) is True and tier.lookup(g1, None) is False
    other = SpillwayTier(vllm_config=vllm_config(cpu.engine_id), primary_kv_view=cpu.view, socket=daemon.socket_path,
                         namespace=tier.namespace + "|other-model")
    try:
        assert other.lookup(g0, None) is False, "another namespace never sees this one's blocks"
    finally:
        other.shutdown()


def test_lookup_during_a_job_in_flight_is_none_then_retried(tier, cpu):
    keys = offload_keys(8)
    tier.submit_store(job(1, keys, list(range(8))))
    assert [tier.lookup(k, None) for k in keys] == [None] * 8, "a block this tier is still storing is not ready"
    assert finish(tier, {1}) == {1: True}
    assert [tier.lookup(k, None) for k in keys] == [True] * 8, "the retry after the job finishes hits"
    tier.submit_load(job(2, keys[:2], [8, 9]))
    assert tier.lookup(keys[0], None) is None and tier.lookup(keys[2], None) is True
    assert finish(tier, {2}) == {2: True}
    assert tier.lookup(keys[0], None) is True


def test_a_job_larger_than_one_request_is_split_and_reported_once(tier, cpu):
    tier._max_keys = 3  # the daemon's limit is thousands of keys; a small one makes vLLM jobs span requests
    keys = offload_keys(8)
    want = cpu.rows[0:8].copy()
    tier.submit_store(job(1, keys, list(range(8))))
    assert len(tier._transfers[1].jobs) == 3
    assert finish(tier, {1}) == {1: True}
    cpu.rows[8:16] = 0
    tier.submit_load(job(2, keys, list(range(8, 16))))
    assert finish(tier, {2}) == {2: True}
    assert np.array_equal(cpu.rows[8:16], want)


def test_a_corrupted_segment_fails_the_load(daemon, tier, cpu):
    keys = offload_keys(1)
    data = cpu.rows[3].tobytes()
    tier.submit_store(job(1, keys, [3]))
    assert finish(tier, {1}) == {1: True}
    hits = [(seg, content.find(data[:4096])) for seg in glob.glob(os.path.join(daemon.directory, "seg-*"))
            for content in [open(seg, "rb").read()] if data[:4096] in content]
    assert len(hits) == 1, hits
    seg, at = hits[0]
    fd = os.open(seg, os.O_WRONLY)
    try:
        os.pwrite(fd, bytes([data[ROW // 2] ^ 0x01]), at + ROW // 2)
        os.fsync(fd)
    finally:
        os.close(fd)
    cpu.rows[12] = 0x5A
    tier.submit_load(job(2, keys, [12]))
    assert finish(tier, {2}) == {2: False}
    assert (cpu.rows[12] == 0x5A).all(), "a corrupt block is never delivered"
    assert tier.lookup(keys[0], None) is False, "the store drops a corrupt block"


def test_a_killed_daemon_fails_jobs_never_hangs_and_a_failed_store_never_becomes_visible(cpu, tmp_path):
    """The daemon dies with a store and a load in flight: both are reported failed at once, later jobs fail,
    lookups miss. After a restart on the same store, the earlier completed store is all there, and each
    block of the failed one is either absent or complete and exact: no torn block is ever visible."""
    half = ROWS // 2
    kept, cut = offload_keys(half), offload_keys(half)
    want = cpu.rows.copy()
    with Daemon(tmp_path / "store", config=STORE) as d:
        t = make_tier(d, cpu, timeout=3)
        t.submit_store(job(1, kept, list(range(half))))
        assert finish(t, {1}) == {1: True}
        t.submit_store(job(2, cut, list(range(half, ROWS))))
        t.submit_load(job(3, kept, list(range(half))))
        d.kill()
        t0 = time.monotonic()
        assert finish(t, {2, 3}, within=10) == {2: False, 3: False}
        t.submit_store(job(4, offload_keys(1), [0]))
        assert finish(t, {4}, within=10) == {4: False}, "a job submitted after the daemon died fails at once"
        assert t.lookup(kept[0], None) is False, "an unreachable tier answers misses"
        t.shutdown()
        t.shutdown()
        assert time.monotonic() - t0 < 10
    cpu.rows[:] = 0
    with Daemon(tmp_path / "store", config=STORE) as again:
        t = make_tier(again, cpu)
        try:
            assert [t.lookup(k, None) for k in kept] == [True] * half
            visible = [half + i for i, k in enumerate(cut) if t.lookup(k, None)]
            rows = list(range(half)) + visible
            t.submit_load(job(5, kept + [cut[r - half] for r in visible], rows))
            assert finish(t, {5}) == {5: True}
            assert np.array_equal(cpu.rows[rows], want[rows])
            assert not cpu.rows[[r for r in range(half, ROWS) if r not in visible]].any()
        finally:
            t.shutdown()


def test_non_deterministic_hashes_are_refused(daemon, cpu, monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED")
    with pytest.raises(HashNotDeterministic, match="PYTHONHASHSEED is unset.*0% hit rate.*PYTHONHASHSEED=0"):
        make_tier(daemon, cpu)
    with pytest.raises(HashNotDeterministic, match="PYTHONHASHSEED is unset"):
        check_hash_determinism("sha256_cbor", {})
    with pytest.raises(HashNotDeterministic, match="'builtin' is Python's hash\\(\\), randomised per process"):
        check_hash_determinism("builtin", {"PYTHONHASHSEED": "random"})
    with pytest.raises(HashNotDeterministic, match="unknown vLLM prefix_caching_hash_algo 'md5'"):
        check_hash_determinism("md5", {"PYTHONHASHSEED": "0"})
    for algo in ("sha256", "sha256_cbor", "xxhash", "builtin"):
        check_hash_determinism(algo, {"PYTHONHASHSEED": "42"})


def test_geometry_is_derived_as_vllm_lays_it_out_and_overrides_must_agree(daemon, tier, cpu):
    assert (tier.geometry.path, tier.geometry.row_bytes, tier.geometry.num_rows) == (cpu.path, ROW, ROWS)
    assert "row_bytes=65536" in tier.namespace and "model=Qwen/QwQ-32B" in tier.namespace
    with pytest.raises(ValueError, match="row_bytes=8192 in the tier config, but vLLM's CPU tier view has row_bytes=65536"):
        make_tier(daemon, cpu, row_bytes=8192)
    flat = SpillwayTier(vllm_config=vllm_config(cpu.engine_id), primary_kv_view=None, socket=daemon.socket_path,
                        row_bytes=ROW, num_rows=ROWS)
    try:
        assert flat.geometry.path == cpu.path and flat.geometry.size == ROW * ROWS
    finally:
        flat.shutdown()
    with pytest.raises(ValueError, match=f"has {ROW * ROWS} bytes, but 8 rows of {ROW} bytes are {ROW * 8}"):
        SpillwayTier(vllm_config=vllm_config(cpu.engine_id), primary_kv_view=None, socket=daemon.socket_path,
                     mmap_path=cpu.path, row_bytes=ROW, num_rows=8)
    with pytest.raises(FileNotFoundError, match="vllm_offload_nope.mmap does not exist"):
        SpillwayTier(vllm_config=vllm_config("nope"), primary_kv_view=cpu.view, socket=daemon.socket_path)
    with pytest.raises(ValueError, match="set row_bytes and num_rows"):
        SpillwayTier(vllm_config=vllm_config(cpu.engine_id), primary_kv_view=None, socket=daemon.socket_path)


def test_the_spec_module_registers_only_with_vllm():
    assert vllm_spec.TIER_TYPE == "spillway"
    assert vllm_spec.register() is VLLM_AVAILABLE
    assert hasattr(vllm_spec, "SpillwayTieringSpec") is VLLM_AVAILABLE
