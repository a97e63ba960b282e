"""The exceptions of the Spillway client.

Two families:

* the daemon refused a request (:class:`RequestRefused` and its subclasses): the connection stays
  usable and the message says what was wrong;
* the connection failed (:class:`ConnectionLost`, :class:`RequestTimeout`, :class:`ProtocolError`):
  the client is closed, since a late reply could otherwise be taken for the next request's.
  Reconnect to go on.
"""

from __future__ import annotations

__all__ = [
    "SpillwayError",
    "ConnectionLost",
    "RequestTimeout",
    "ProtocolError",
    "RequestRefused",
    "BadRequest",
    "HelloRequired",
    "NoSuchRegion",
    "Busy",
    "ShuttingDown",
    "StoreError",
    "UnsupportedVersion",
    "AccessDenied",
    "DaemonInternalError",
    "UnknownJob",
]


class SpillwayError(Exception):
    """Base of every error this package raises."""


class ConnectionLost(SpillwayError, ConnectionError):
    """The daemon is unreachable, closed the connection, or died. The client is closed."""


class RequestTimeout(SpillwayError, TimeoutError):
    """The daemon did not answer within the call's timeout. The client is closed."""


class ProtocolError(SpillwayError):
    """The daemon's reply broke the protocol (a bug on one side). The client is closed."""


_BY_STATUS: dict[int, type[RequestRefused]] = {}


class RequestRefused(SpillwayError):
    """The daemon refused the request; ``status`` is its code, the message says why.

    A subclass names its code in its bases (``class Busy(RequestRefused, status=4)``), which also
    makes :func:`refused` raise it for that code.
    """

    status: int = -1

    def __init_subclass__(cls, *, status: int, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if status in _BY_STATUS:
            raise TypeError(f"status {status} is already {_BY_STATUS[status].__name__}")
        cls.status = status
        _BY_STATUS[status] = cls

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class BadRequest(RequestRefused, status=1):
    """Well-formed but invalid: a slice outside its region, a block of a bad size, ..."""


class HelloRequired(RequestRefused, status=2):
    """A request before HELLO (the client sends HELLO itself; seeing this is a bug)."""


class NoSuchRegion(RequestRefused, status=3):
    """The request names a region not registered on this connection."""


class Busy(RequestRefused, status=4):
    """Too many jobs in flight or not yet collected on this connection; wait for some first."""


class ShuttingDown(RequestRefused, status=5):
    """The daemon is draining for shutdown and accepts no new dump or load."""


class StoreError(RequestRefused, status=6):
    """The store failed the operation (an IO error of its index, say)."""


class UnsupportedVersion(RequestRefused, status=7):
    """The daemon does not speak this client's protocol version."""


class AccessDenied(RequestRefused, status=9):
    """The daemon may not map the file for this client (not under /dev/shm, or not the client's own)."""


class DaemonInternalError(RequestRefused, status=10):
    """The daemon hit a bug; the message says what."""


class NoArena(RequestRefused, status=11):
    """The daemon's store has no DRAM tier (``store_pipeline`` is ``Disk``): there is no arena to map or pin."""


class UnknownJob(SpillwayError, LookupError):
    """A job id this connection never issued, or whose result was already collected."""


def refused(status: int, message: str) -> RequestRefused:
    """The exception for a non-OK status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return RequestRefused(f"status {status}: {message}", status)
    return cls(message)
