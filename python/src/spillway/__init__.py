"""Spillway's Python client: talk to ``spillway serve`` over a Unix socket, move KV blocks through shared memory.

    import spillway
    with spillway.Client("/tmp/spillway/s.sock", namespace="llama-3.1-8b|bf16|tp=0/1") as c:
        region = spillway.Region.create(64 << 20)
        r = c.register(region)
        job = c.dump(keys, r.rows(2 << 20, len(keys)))
        print(job.wait().outcomes)

See docs/protocol.md for the wire protocol and :mod:`spillway.testing` to start a daemon.
"""

from .client import ArenaInfo, Client, Job, Pin, ServerInfo, default_socket
from .errors import (AccessDenied, BadRequest, Busy, ConnectionLost, DaemonInternalError, HelloRequired, NoArena, NoSuchRegion,
                     ProtocolError, RequestRefused, RequestTimeout, ShuttingDown, SpillwayError, StoreError,
                     UnknownJob, UnsupportedVersion)
from .keys import chain, chain_all, from_int, namespace_fingerprint
from .outcome import JobKind, JobResult, Outcome
from .region import Region, RegisteredRegion, Slice

__version__ = "0.1.0"

__all__ = [
    "Client", "Job", "Pin", "ArenaInfo", "ServerInfo", "default_socket", "Region", "RegisteredRegion", "Slice", "Outcome", "JobKind",
    "JobResult", "chain", "chain_all", "from_int", "namespace_fingerprint", "SpillwayError", "ConnectionLost",
    "RequestTimeout", "ProtocolError", "RequestRefused", "BadRequest", "HelloRequired", "NoSuchRegion", "Busy",
    "ShuttingDown", "StoreError", "UnsupportedVersion", "AccessDenied", "DaemonInternalError", "NoArena", "UnknownJob",
]
