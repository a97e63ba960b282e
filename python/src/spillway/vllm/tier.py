"""``SpillwayTier``: a vLLM secondary offloading tier backed by the Spillway daemon.

vLLM's ``TieringOffloadingSpec`` keeps offloaded blocks in a CPU tier, a shared-memory file with
one page-aligned row per block, and asks each secondary tier to move rows by number. This tier
registers that file with the daemon as a client region, so a store is the daemon reading rows
straight from vLLM's pages into the store and a load is the daemon writing stored bytes straight
into them: only keys and row numbers pass through Python.

Every method runs in vLLM's scheduler and returns at once: submissions are one request each to
the daemon (bounded by ``timeout``), ``get_finished`` polls with a zero wait, and a lost daemon
turns every pending and later job into a failure instead of a hang.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..client import Client, Job
from ..errors import ConnectionLost, ProtocolError, RequestTimeout, SpillwayError
from ..outcome import Outcome
from ..region import Region, RegisteredRegion, Slice
from ._compat import JobMetadata, JobResult, SecondaryTierManager
from .config import (RegionGeometry, check_hash_determinism, engine_id_of, find_vllm_config, namespace_of, region_geometry,
                     store_key)

__all__ = ["SpillwayTier"]

log = logging.getLogger(__name__)

_MAX_WAIT_JOBS = 1024
"""Daemon jobs asked about per WAIT request (the protocol's limit is larger; this bounds one reply)."""


@dataclass
class _Transfer:
    """One vLLM job: the daemon jobs it was split into, and whether its submission failed part-way."""

    job_id: int
    keys: list[bytes]
    jobs: list[Job] = field(default_factory=list)
    failed: str = ""
    """Why the job cannot succeed ("" while it still can)."""


class SpillwayTier(SecondaryTierManager):
    """A secondary tier whose blocks live in the Spillway daemon's store.

    Tier config keys (``secondary_tiers: [{"type": "spillway", ...}]``), all optional:

    :param socket: the daemon's socket (default: :func:`spillway.default_socket`)
    :param namespace: overrides the namespace fingerprint derived from vLLM's config
    :param mmap_path: vLLM's CPU region file (default ``/dev/shm/vllm_offload_<engine_id>.mmap``)
    :param row_bytes: bytes per row (default: the row stride of vLLM's CPU tier view)
    :param num_rows: rows in the file (default: the rows of vLLM's CPU tier view)
    :param timeout: seconds any one daemon request may take (a hung daemon stalls the scheduler at
        most this long once; the connection is then closed and the tier reports failures)
    """

    def __init__(self, offloading_spec: Any = None, primary_kv_view: memoryview | None = None,
                 tier_type: str = "spillway", *, vllm_config: Any = None, socket: str | None = None,
                 namespace: str | None = None, mmap_path: str | None = None, row_bytes: int | None = None,
                 num_rows: int | None = None, timeout: float = 5.0) -> None:
        # vLLM releases pass the offloading spec either positionally or as ``vllm_config=``.
        spec = offloading_spec if offloading_spec is not None else vllm_config
        super().__init__(spec, primary_kv_view, tier_type)
        config = find_vllm_config(spec)
        cache = getattr(config, "cache_config", None)
        check_hash_determinism(getattr(cache, "prefix_caching_hash_algo", None) if cache is not None else None)
        self.geometry = region_geometry(primary_kv_view, engine_id=engine_id_of(spec, config), mmap_path=mmap_path,
                                        row_bytes=row_bytes, num_rows=num_rows)
        if namespace is None:
            if config is None:
                raise ValueError("spillway tier: no vLLM config to derive the namespace from (model, dtype, "
                                 "parallelism, block size); set namespace in the tier config")
            extra = getattr(spec, "extra_config", None) or {}
            namespace = namespace_of(config, self.geometry, extra.get("block_size"))
        self.namespace = namespace
        self._transfers: dict[int, _Transfer] = {}
        self._in_flight: Counter[bytes] = Counter()
        self._closed = False
        self._region = _open_rows(self.geometry)
        self._client: Client | None = None
        try:
            self._client = Client(socket, namespace=namespace, name=f"vllm tier pid {os.getpid()}", timeout=timeout)
            info = self._client.info
            if not info.min_block_bytes <= self.geometry.row_bytes <= info.max_block_bytes:
                raise ValueError(f"spillway tier: vLLM's rows are {self.geometry.row_bytes} bytes; the daemon takes "
                                 f"blocks of {info.min_block_bytes} to {info.max_block_bytes} bytes")
            self._max_keys = info.max_keys
            self._registered: RegisteredRegion = self._client.register(self._region)
        except BaseException:
            self._release()
            raise
        log.info("spillway tier: %d rows of %d bytes of %s in namespace %r, daemon %s (pid %d)",
                 self.geometry.num_rows, self.geometry.row_bytes, self.geometry.path, namespace,
                 info.daemon_version, info.pid)

    # ------------------------------------------------------------------ lookups

    def lookup(self, key: bytes, req_context: Any) -> bool | None:
        """True if the daemon holds the block, False if not (or the daemon is unreachable), None while
        this tier still moves it (vLLM retries)."""
        skey = store_key(key)
        if self._in_flight[skey]:
            return None
        client = self._live_client()
        if client is None:
            return False
        try:
            return client.lookup([skey])[0]
        except SpillwayError as e:
            log.warning("spillway tier: lookup failed, answering a miss: %s", e)
            return False

    def touch(self, keys: Collection[bytes], req_context: Any) -> None:
        """Nothing to do: the daemon's eviction policy sees every lookup and load itself."""
        return

    # ------------------------------------------------------------------ transfers

    def submit_store(self, job_metadata: JobMetadata) -> None:
        """Asks the daemon to store the rows; a block whose store fails never becomes visible."""
        self._submit(job_metadata, store=True)

    def submit_load(self, job_metadata: JobMetadata) -> None:
        """Asks the daemon to fill the rows; a missing or corrupt block fails the job (vLLM recomputes)."""
        self._submit(job_metadata, store=False)

    def _submit(self, meta: JobMetadata, store: bool) -> None:
        if meta.job_id in self._transfers:
            raise ValueError(f"spillway tier: job {meta.job_id} is already in flight; vLLM job ids are unique")
        keys = [store_key(k) for k in meta.keys]
        rows = [int(b) for b in meta.block_ids]
        transfer = _Transfer(meta.job_id, keys)
        self._transfers[meta.job_id] = transfer
        self._in_flight.update(keys)
        if len(rows) != len(keys):
            transfer.failed = f"{len(keys)} keys but {len(rows)} block ids"
        elif any(not 0 <= r < self.geometry.num_rows for r in rows):
            transfer.failed = f"a block id outside the CPU tier's {self.geometry.num_rows} rows: {rows}"
        client = None if transfer.failed else self._live_client()
        if client is None:
            transfer.failed = transfer.failed or "the daemon connection is closed"
            log.warning("spillway tier: job %d fails: %s", meta.job_id, transfer.failed)
            return
        size = self.geometry.row_bytes
        slices = [Slice(self._registered.id, r * size, size) for r in rows]
        submit = client.dump if store else client.load
        for at in range(0, len(keys), self._max_keys):
            try:
                transfer.jobs.append(submit(keys[at:at + self._max_keys], slices[at:at + self._max_keys]))
            except SpillwayError as e:
                # The parts already submitted still run; the job is reported once they are done, so vLLM
                # never reuses a row the daemon may still write.
                transfer.failed = f"submitting to the daemon failed: {e}"
                log.warning("spillway tier: job %d fails: %s", meta.job_id, transfer.failed)
                return

    def get_finished(self) -> Iterable[JobResult]:
        """The vLLM jobs whose every daemon job is done, since the last call; polls, never waits."""
        pending = [j for t in self._transfers.values() for j in t.jobs if not j.done]
        client = self._live_client()
        if pending and client is not None:
            try:
                for at in range(0, len(pending), _MAX_WAIT_JOBS):
                    client.wait(pending[at:at + _MAX_WAIT_JOBS], timeout=0)
            except (ConnectionLost, RequestTimeout, ProtocolError) as e:
                log.error("spillway tier: lost the daemon; %d jobs fail: %s", len(self._transfers), e)
            except SpillwayError as e:
                # A refused poll or a job the daemon does not know would leave jobs pending forever: give the
                # connection up instead, which fails them now (the daemon forgets a closed client's jobs).
                log.error("spillway tier: polling the daemon failed, closing the connection; %d jobs fail: %s",
                          len(self._transfers), e)
                client.close()
        lost = self._client is None or self._client.closed
        finished = []
        for job_id, transfer in list(self._transfers.items()):
            if not lost and not all(j.done for j in transfer.jobs):
                continue
            finished.append(JobResult(job_id=job_id, success=self._succeeded(transfer)))
            del self._transfers[job_id]
            for key in transfer.keys:
                left = self._in_flight[key] - 1
                if left:
                    self._in_flight[key] = left
                else:
                    del self._in_flight[key]
        return finished

    @staticmethod
    def _succeeded(transfer: _Transfer) -> bool:
        if transfer.failed:
            return False
        results = [j.result for j in transfer.jobs]
        if any(r is None for r in results):
            return False  # the daemon went away before reporting it
        bad = [(i, o) for r in results for i, o in enumerate(r.outcomes) if o is not Outcome.OK]
        if bad:
            log.info("spillway tier: job %d: %d of %d blocks failed (first: %s)", transfer.job_id, len(bad),
                     len(transfer.keys), bad[0][1].name)
        return not bad

    # ------------------------------------------------------------------ lifetime

    def _live_client(self) -> Client | None:
        client = self._client
        return None if client is None or client.closed else client

    def shutdown(self) -> None:
        """Waits (up to the store's deadline) for jobs in flight, so the daemon writes no row after vLLM
        frees its CPU tier, then closes the connection and unmaps the region. Idempotent."""
        if self._closed:
            return
        self._closed = True
        client = self._live_client()
        pending = [j for t in self._transfers.values() for j in t.jobs if not j.done]
        if client is not None and pending:
            try:
                for at in range(0, len(pending), _MAX_WAIT_JOBS):
                    client.wait(pending[at:at + _MAX_WAIT_JOBS])
            except SpillwayError as e:
                log.warning("spillway tier: jobs in flight at shutdown: %s", e)
        if client is not None:
            try:
                client.unregister(self._registered)
            except SpillwayError as e:
                log.warning("spillway tier: unregistering at shutdown: %s", e)
        self._release()

    def _release(self) -> None:
        if self._client is not None:
            self._client.close()
        self._region.close()


def _open_rows(geometry: RegionGeometry) -> Region:
    """Maps vLLM's CPU tier file, which must hold exactly the rows vLLM's view says it has."""
    try:
        length = os.stat(geometry.path).st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"spillway tier: vLLM's CPU tier file {geometry.path} does not exist (the tier runs in "
                                "the scheduler of the engine that created it; set mmap_path otherwise)") from None
    if length != geometry.size:
        raise ValueError(f"spillway tier: {geometry.path} has {length} bytes, but {geometry.num_rows} rows of "
                         f"{geometry.row_bytes} bytes are {geometry.size}; fix row_bytes/num_rows or mmap_path")
    return Region.open(geometry.path, geometry.size)
