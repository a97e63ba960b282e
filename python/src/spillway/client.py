"""The client of ``spillway serve``: one Unix-socket connection, one request at a time.

Every call has a timeout (the client's default, or the ``timeout`` argument). Dumps and loads
return a :class:`Job` at once; the daemon moves the bytes between the store and the caller's
shared-memory region, and :meth:`Client.wait` (or :meth:`Job.wait`) collects each block's
:class:`~spillway.outcome.Outcome`. Every job ends by the store's deadline (``info.job_deadline``),
even when the disk hangs.

Thread safety: calls are serialised by a lock, so threads may share a client; use one client per
thread for concurrency (each has its own connection).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

from . import _protocol as P
from .errors import ConnectionLost, ProtocolError, RequestTimeout, UnknownJob, refused
from .outcome import JobKind, JobResult, outcomes_of
from .region import Region, RegisteredRegion, Slice

__all__ = ["ArenaInfo", "Client", "Job", "Pin", "ServerInfo", "default_socket"]

Keys = Union[bytes, bytearray, memoryview, Sequence[bytes]]


def default_socket() -> str:
    """``$SPILLWAY_SOCKET``, else the daemon's default: ``$XDG_RUNTIME_DIR/spillway/spillway.sock`` or ``/tmp/spillway-<uid>/spillway.sock``."""
    env = os.environ.get("SPILLWAY_SOCKET")
    if env:
        return env
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "spillway", "spillway.sock")
    return f"/tmp/spillway-{os.getuid()}/spillway.sock"


@dataclass(frozen=True)
class ServerInfo:
    """The daemon and its limits, from HELLO."""

    version: int
    pid: int
    connection_id: int
    job_deadline: float
    """Seconds within which every job completes (the store's ``timeout_ms``)."""
    max_keys: int
    max_request_bytes: int
    min_block_bytes: int
    max_block_bytes: int
    max_regions: int
    max_jobs: int
    alignment: int
    daemon_version: str


@dataclass(frozen=True)
class ArenaInfo:
    """The daemon's DRAM-tier arena, from ARENA: map ``path`` read-only (``Region.open(path, size, readonly=True)``)."""

    path: str
    size: int
    epoch: int
    """Changes when the daemon makes a new arena file (a restart after /dev/shm was lost): map again."""
    page_size: int


class Pin:
    """Blocks held in the daemon's arena for this client (PIN): each OK block's bytes stay exactly as
    they are, CRC32C-checked by the daemon, at ``offsets[i]`` of the arena until :meth:`release`
    (UNPIN) or until the connection closes. Copy them out (say, one ``cudaMemcpyAsync`` each from
    the registered arena), then release: a pinned block cannot be evicted, so hold pins briefly.

    A context manager: ``with client.pin(keys) as p: ...`` releases on exit.
    """

    def __init__(self, client: "Client", pin_id: int, offsets: list[int], lengths: list[int], outcomes: tuple) -> None:
        self.client = client
        self.id = pin_id
        self.offsets = offsets
        self.lengths = lengths
        self.outcomes = outcomes
        """Per key: ``OK`` (pinned), ``MISSING`` (not in the DRAM tier: load it instead), ``CORRUPT``."""
        self.released = pin_id == 0

    @property
    def pinned(self) -> int:
        """How many blocks are held."""
        return sum(1 for o in self.outcomes if o.name == "OK")

    def release(self, timeout: float | None = None) -> None:
        """UNPIN, once; a no-op when nothing was pinned or the client is closed (the daemon then released it)."""
        if self.released:
            return
        self.released = True
        if not self.client.closed:
            self.client._call(P.UNPIN, [P.U64.pack(self.id)], timeout)

    def __enter__(self) -> "Pin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Pin({self.id}, {self.pinned} of {len(self.outcomes)} blocks{', released' if self.released else ''})"


class Job:
    """A submitted dump or load. Its result is kept once collected, so :meth:`wait` may be called again."""

    def __init__(self, client: "Client", job_id: int, kind: JobKind, blocks: int) -> None:
        self.client = client
        self.id = job_id
        self.kind = kind
        self.blocks = blocks
        self.result: JobResult | None = None

    @property
    def done(self) -> bool:
        """Whether the result has been collected (call :meth:`poll` to ask the daemon)."""
        return self.result is not None

    def wait(self, timeout: float | None = None) -> JobResult | None:
        """The result, waiting up to ``timeout`` seconds (default: the store's deadline plus a second); None if still pending."""
        return self.client.wait([self], timeout=timeout)[0]

    def poll(self) -> JobResult | None:
        """The result if the job is done, else None, without waiting."""
        return self.client.wait([self], timeout=0)[0]

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.kind.name.lower()}, {self.blocks} blocks, {'done' if self.done else 'pending'})"


class Client:
    """A connection to the daemon, in one namespace.

    :param socket_path: the daemon's socket (default: :func:`default_socket`)
    :param namespace: the namespace fingerprint (see :func:`spillway.keys.namespace_fingerprint`);
        keys of different namespaces never collide, equal namespaces share blocks
    :param name: how the daemon's log names this client
    :param timeout: the default bound, in seconds, of every call (connecting included)
    """

    def __init__(self, socket_path: str | os.PathLike[str] | None = None, *, namespace: str, name: str = "",
                 timeout: float = 10.0) -> None:
        if not namespace:
            raise ValueError("namespace must not be empty")
        self.socket_path = os.fspath(socket_path) if socket_path is not None else default_socket()
        self.timeout = timeout
        self._lock = threading.Lock()
        self._next_id = 0
        self._closed = False
        self._header = bytearray(P.HEADER_BYTES)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(self.socket_path)
        except socket.timeout:
            sock.close()
            raise RequestTimeout(f"connecting to {self.socket_path} timed out after {timeout} s") from None
        except OSError as e:
            sock.close()
            raise ConnectionLost(f"cannot connect to the daemon at {self.socket_path}: {e.strerror or e} "
                                 "(is `spillway serve` running there?)") from e
        self._sock = sock
        body = P.string(namespace, 1024, "namespace") + P.string(name or f"python pid {os.getpid()}", 256, "client name")
        reply = self._call(P.HELLO, [body], timeout)
        v = P.HELLO_REPLY.unpack_from(reply, 0)
        dv, _ = P.read_string(reply, P.HELLO_REPLY.size)
        self.info = ServerInfo(version=v[0], pid=v[2], connection_id=v[3], job_deadline=v[4] / 1000, max_keys=v[5],
                               max_request_bytes=v[6], min_block_bytes=v[7], max_block_bytes=v[8], max_regions=v[9],
                               max_jobs=v[10], alignment=v[11], daemon_version=dv)
        self.namespace = namespace

    # ------------------------------------------------------------------ plumbing

    def _call(self, type_: int, body: list[bytes | bytearray | memoryview], timeout: float | None) -> memoryview:
        """Sends one request and returns its OK reply body after the status."""
        limit = self.timeout if timeout is None else timeout
        with self._lock:
            if self._closed:
                raise ConnectionLost("this client is closed (an earlier call failed or timed out, or close() was called); "
                                     "connect again")
            self._next_id += 1
            rid = self._next_id
            length = sum(len(b) for b in body)
            deadline = time.monotonic() + limit
            ok = False
            try:
                self._sock.settimeout(limit)
                try:
                    self._sock.sendall(P.HEADER.pack(P.MAGIC, P.VERSION, type_, rid, length, 0) + b"".join(body))
                except (BrokenPipeError, ConnectionResetError):
                    # A daemon that refuses the connection (its connection limit) says why, then closes:
                    # the notice may still be in the receive buffer.
                    deadline = min(deadline, time.monotonic() + 0.1)
                self._recv_into(memoryview(self._header), deadline, type_)
                magic, version, rtype, reply_id, rlen, flags = P.HEADER.unpack(self._header)
                if magic != P.MAGIC or flags != 0:
                    raise ProtocolError(f"reply to {P.NAMES[type_]} has a bad header (magic {magic:#x}, flags {flags:#x})")
                reply = bytearray(rlen)
                view = memoryview(reply)
                self._recv_into(view, deadline, type_)
                (status,) = P.U32.unpack_from(view, 0)
                if rtype == P.CLOSING:
                    message, _ = P.read_string(view, 4)
                    raise ConnectionLost(f"the daemon closed the connection: {message}")
                if rtype != (type_ | P.REPLY_BIT) or reply_id != rid:
                    raise ProtocolError(f"reply {rtype:#06x} to request {reply_id} does not answer "
                                        f"{P.NAMES[type_]} request {rid}")
                if status != 0:
                    message, _ = P.read_string(view, 4)
                    ok = True
                    raise refused(status, message)
                ok = True
                return view[4:]
            except socket.timeout:
                raise RequestTimeout(f"{P.NAMES[type_]} got no reply within {limit} s; the client is closed") from None
            except (BrokenPipeError, ConnectionResetError) as e:
                raise ConnectionLost(f"the daemon went away during {P.NAMES[type_]}: {e.strerror or e}") from e
            except OSError as e:
                if isinstance(e, (ConnectionLost, RequestTimeout)):
                    raise
                raise ConnectionLost(f"{P.NAMES[type_]} failed: {e}") from e
            finally:
                if not ok:
                    self._close_socket()

    def _recv_into(self, view: memoryview, deadline: float, type_: int) -> None:
        got = 0
        while got < len(view):
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self._sock.settimeout(left)
            n = self._sock.recv_into(view[got:])
            if n == 0:
                raise ConnectionLost(f"the daemon closed the connection during {P.NAMES[type_]} (did it stop or die?)")
            got += n

    def _close_socket(self) -> None:
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass

    def close(self) -> None:
        """Closes the connection: the daemon unmaps this client's regions and forgets its jobs. Idempotent.

        Loads still in flight may write into their slices until the store's deadline.
        """
        with self._lock:
            self._close_socket()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ requests

    @staticmethod
    def _keys(keys: Keys) -> tuple[bytes, int]:
        if isinstance(keys, (bytes, bytearray, memoryview)):
            raw = bytes(keys)
            if len(raw) % P.KEY_BYTES:
                raise ValueError(f"packed keys are a multiple of 32 bytes, got {len(raw)}")
            n = len(raw) // P.KEY_BYTES
        else:
            keys = list(keys)
            n = len(keys)
            if n and set(map(len, keys)) != {P.KEY_BYTES}:
                bad = next(i for i, k in enumerate(keys) if len(k) != P.KEY_BYTES)
                raise ValueError(f"keys[{bad}] is {len(keys[bad])} bytes; a key is 32 bytes")
            raw = b"".join(keys)
        if n > P.MAX_KEYS:
            raise ValueError(f"{n} keys in one request; at most {P.MAX_KEYS}")
        return raw, n

    def ping(self, timeout: float | None = None) -> float:
        """A round trip to the daemon; its duration in seconds."""
        t0 = time.perf_counter()
        self._call(P.PING, [], timeout)
        return time.perf_counter() - t0

    def register(self, region: Region, timeout: float | None = None) -> RegisteredRegion:
        """Lets the daemon map ``region`` (its whole size); slices of the result name it in dumps and loads."""
        reply = self._call(P.REGISTER_REGION, [P.U64.pack(region.size), P.string(region.path, 4095, "region path")], timeout)
        return RegisteredRegion(P.U32.unpack_from(reply, 0)[0], region)

    def unregister(self, region: RegisteredRegion | int, timeout: float | None = None) -> None:
        """The daemon unmaps the region once its jobs in flight are done; new jobs may not name it."""
        rid = region.id if isinstance(region, RegisteredRegion) else region
        self._call(P.UNREGISTER_REGION, [P.U32.pack(rid)], timeout)

    def lookup(self, keys: Keys, timeout: float | None = None) -> list[bool]:
        """Which of ``keys`` are stored and committed."""
        raw, n = self._keys(keys)
        reply = self._call(P.LOOKUP, [P.U32.pack(n), raw], timeout)
        bitmap = int.from_bytes(reply[4:4 + (n + 7) // 8], "little")
        return [bool(bitmap >> i & 1) for i in range(n)]

    def lookup_prefix(self, keys: Keys, timeout: float | None = None) -> int:
        """How many leading keys of a prefix chain are stored, stopping at the first miss."""
        raw, n = self._keys(keys)
        return P.U32.unpack_from(self._call(P.LOOKUP_PREFIX, [P.U32.pack(n), raw], timeout), 0)[0]

    def _transfer(self, type_: int, kind: JobKind, keys: Keys, slices: Sequence[Slice], timeout: float | None) -> Job:
        raw, n = self._keys(keys)
        if len(slices) != n:
            raise ValueError(f"{n} keys but {len(slices)} slices")
        table = bytearray(n * P.SLICE.size)
        pack = P.SLICE.pack_into
        for i, (region, offset, length) in enumerate(slices):
            pack(table, i * 16, region, length, offset)
        reply = self._call(type_, [P.U32.pack(n), bytes(4), raw, table], timeout)
        return Job(self, P.U64.unpack_from(reply, 0)[0], kind, n)

    def dump(self, keys: Keys, slices: Sequence[Slice], timeout: float | None = None) -> Job:
        """Stores each block from its slice. Keys already stored (or in flight) are not written twice.

        Do not modify the slices until the job is done.
        """
        return self._transfer(P.DUMP, JobKind.DUMP, keys, slices, timeout)

    def load(self, keys: Keys, slices: Sequence[Slice], timeout: float | None = None) -> Job:
        """Fills each slice with its block's exact stored bytes (a slice must be exactly the block's size).

        A missing or corrupt block leaves its slice untouched. Do not read the slices until the job is done.
        """
        return self._transfer(P.LOAD, JobKind.LOAD, keys, slices, timeout)

    def wait(self, jobs: Iterable[Job | int], timeout: float | None = None, *, any: bool = False) -> list[JobResult | None]:
        """Waits up to ``timeout`` seconds (default: the store's deadline plus one second) for every job, or
        for one of them with ``any=True``; returns each job's result, or None for one still pending.

        ``timeout=0`` polls. Results are kept on :class:`Job` objects; a bare job id can be collected once.
        """
        jobs = list(jobs)
        if timeout is None:
            timeout = self.info.job_deadline + 1.0
        ms = max(0, min(P.MAX_WAIT_MILLIS, int(timeout * 1000)))
        out: list[JobResult | None] = [j.result if isinstance(j, Job) else None for j in jobs]
        ask = [i for i, r in enumerate(out) if r is None]
        if not ask or (any and len(ask) < len(jobs)):
            return out
        ids = [jobs[i].id if isinstance(jobs[i], Job) else int(jobs[i]) for i in ask]
        if len(ids) > P.MAX_WAIT_JOBS:
            raise ValueError(f"{len(ids)} jobs in one wait; at most {P.MAX_WAIT_JOBS}")
        body = [P.WAIT_HEAD.pack(ms, 1 if any else 0, len(ids)), b"".join(P.U64.pack(i) for i in ids)]
        reply = self._call(P.WAIT, body, ms / 1000 + self.timeout)
        (count,) = P.U32.unpack_from(reply, 0)
        if count != len(ids):
            raise ProtocolError(f"WAIT reply has {count} entries for {len(ids)} jobs")
        at = 4
        for i in ask:
            job_id, state, kind, durable, blocks, nbytes, dedup, elapsed_us = P.JOB_REPORT.unpack_from(reply, at)
            at += P.JOB_REPORT.size
            if state == P.UNKNOWN:
                raise UnknownJob(f"job {job_id} is unknown on this connection (never submitted here, or its result "
                                 "was already collected)")
            if state != P.DONE:
                continue
            outcomes = outcomes_of(reply[at:at + blocks])
            detail, at = P.read_string(reply, at + blocks)
            result = JobResult(job_id, JobKind(kind), outcomes, nbytes, dedup, bool(durable), elapsed_us / 1e6, detail)
            out[i] = result
            if isinstance(jobs[i], Job):
                jobs[i].result = result
        return out

    def commit(self, keys: Keys, success: bool = True, timeout: float | None = None) -> int:
        """Makes manual-commit dumps visible (or rolls them back); a no-op under auto-commit. Returns how many were pending."""
        raw, n = self._keys(keys)
        reply = self._call(P.COMMIT, [bytes([1 if success else 0, 0, 0, 0]), P.U32.pack(n), raw], timeout)
        return P.U32.unpack_from(reply, 0)[0]

    def delete(self, keys: Keys, timeout: float | None = None) -> int:
        """Removes blocks; returns how many were stored, pending commit or in flight."""
        raw, n = self._keys(keys)
        return P.U32.unpack_from(self._call(P.DELETE, [P.U32.pack(n), raw], timeout), 0)[0]

    def stats(self, timeout: float | None = None) -> dict:
        """The store's and the daemon's statistics (``store``, ``server``, ``connection``)."""
        reply = self._call(P.STATS, [], timeout)
        (n,) = P.U32.unpack_from(reply, 0)
        return json.loads(bytes(reply[4:4 + n]))

    # ------------------------------------------------------------------ the DRAM tier's arena

    def arena(self, timeout: float | None = None) -> ArenaInfo:
        """Where the daemon's DRAM-tier arena is; raises :class:`~spillway.errors.NoArena` without a DRAM tier."""
        reply = self._call(P.ARENA, [], timeout)
        size, epoch, page = P.ARENA_REPLY.unpack_from(reply, 0)
        path, _ = P.read_string(reply, P.ARENA_REPLY.size)
        return ArenaInfo(path, size, epoch, page)

    def pin(self, keys: Keys, timeout: float | None = None) -> Pin:
        """Holds each key's block in the arena for a copy straight out of it (see :class:`Pin`).

        The daemon checks each block's CRC32C before it answers; a block that fails is ``CORRUPT``
        (and dropped from the tier), one that is not in DRAM is ``MISSING``.
        """
        raw, n = self._keys(keys)
        reply = self._call(P.PIN, [P.U32.pack(n), raw], timeout)
        pin_id, count = P.PIN_HEAD.unpack_from(reply, 0)
        if count != n:
            raise ProtocolError(f"PIN reply has {count} entries for {n} keys")
        at = P.PIN_HEAD.size
        entries = list(P.PIN_ENTRY.iter_unpack(reply[at:at + n * P.PIN_ENTRY.size]))
        return Pin(self, pin_id, [e[0] for e in entries], [e[1] for e in entries], outcomes_of(bytes(e[2] for e in entries)))
