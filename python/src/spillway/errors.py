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


class RequestRefused(SpillwayError):
    """The daemon refused the request; ``status`` is its code, the message says why."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class BadRequest(RequestRefused):
    """Well-formed but invalid: a slice outside its region, a block of a bad size, ..."""

    status = 1


class HelloRequired(RequestRefused):
    """A request before HELLO (the client sends HELLO itself; seeing this is a bug)."""

    status = 2


class NoSuchRegion(RequestRefused):
    """The request names a region not registered on this connection."""

    status = 3


class Busy(RequestRefused):
    """Too many jobs in flight or not yet collected on this connection; wait for some first."""

    status = 4


class ShuttingDown(RequestRefused):
    """The daemon is draining for shutdown and accepts no new dump or load."""

    status = 5


class StoreError(RequestRefused):
    """The store failed the operation (an IO error of its index, say)."""

    status = 6


class UnsupportedVersion(RequestRefused):
    """The daemon does not speak this client's protocol version."""

    status = 7


class AccessDenied(RequestRefused):
    """The daemon may not map the file for this client (not under /dev/shm, or not the client's own)."""

    status = 9


class DaemonInternalError(RequestRefused):
    """The daemon hit a bug; the message says what."""

    status = 10


class UnknownJob(SpillwayError, LookupError):
    """A job id this connection never issued, or whose result was already collected."""


_BY_STATUS = {c.status: c for c in (BadRequest, HelloRequired, NoSuchRegion, Busy, ShuttingDown, StoreError,
                                    UnsupportedVersion, AccessDenied, DaemonInternalError)}


def refused(status: int, message: str) -> RequestRefused:
    """The exception for a non-OK status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return RequestRefused(f"status {status}: {message}", status)
    return cls(message)
