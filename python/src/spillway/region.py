"""Shared-memory regions: the data plane between a client and the daemon.

A region is a file under ``/dev/shm`` that both processes map shared: a dump's bytes are read by
the daemon straight from its pages, a load's are written straight into them. Nothing but
(region, offset, length) triples crosses the socket.
"""

from __future__ import annotations

import mmap
import os
import secrets
import weakref
from typing import NamedTuple

__all__ = ["Region", "Slice", "RegisteredRegion"]

PAGE = mmap.PAGESIZE


class Slice(NamedTuple):
    """Where one block lives: ``length`` bytes at ``offset`` of the region the daemon knows as ``region``."""

    region: int
    offset: int
    length: int


class Region:
    """A shared-memory file mapped into this process.

    Create one with :meth:`create` (a new, private file whose pages are reserved up front, so a
    full ``/dev/shm`` fails here and not with a bus error later) or map an existing one with
    :meth:`open` (an engine's own CPU tier, say). Register it with ``Client.register``.

    Rules the daemon relies on: do not truncate the file while it is registered, and do not touch a
    slice while a dump or load of it is in flight (a load writes it; a dump reads it).
    """

    def __init__(self, path: str, size: int, mm: mmap.mmap, owner: bool) -> None:
        self.path = path
        self.size = size
        self._mmap = mm
        self.buffer = memoryview(mm)
        """The whole region as a memoryview (writable unless :attr:`readonly`)."""
        self.readonly = False
        # A file create() made is removed even if close() is never called (at garbage collection
        # or interpreter exit), so a forgotten region does not keep /dev/shm pages for ever.
        self._unlink = weakref.finalize(self, _remove, path) if owner else None

    @classmethod
    def create(cls, size: int, *, name: str | None = None, directory: str = "/dev/shm") -> "Region":
        """A new file of ``size`` bytes (rounded up to pages) in ``directory``, mode 0600, removed at :meth:`close`."""
        if size <= 0:
            raise ValueError(f"region size must be positive, got {size}")
        size = -(-size // PAGE) * PAGE
        name = name or f"spillway-{os.getpid()}-{secrets.token_hex(6)}"
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
            mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        return cls(path, size, mm, owner=True)

    @classmethod
    def open(cls, path: str, size: int | None = None, *, readonly: bool = False) -> "Region":
        """Maps an existing file (its first ``size`` bytes, default all); :meth:`close` leaves the file.

        ``readonly`` maps it without write access (the daemon's arena: a client only copies out of it).
        """
        fd = os.open(path, (os.O_RDONLY if readonly else os.O_RDWR) | os.O_CLOEXEC)
        try:
            length = os.fstat(fd).st_size
            size = length if size is None else size
            if size <= 0 or size > length:
                raise ValueError(f"{path} has {length} bytes; cannot map {size}")
            prot = mmap.PROT_READ if readonly else mmap.PROT_READ | mmap.PROT_WRITE
            mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=prot)
        finally:
            os.close(fd)
        region = cls(os.path.abspath(path), size, mm, owner=False)
        region.readonly = readonly
        return region

    def view(self, offset: int, length: int) -> memoryview:
        """``length`` bytes at ``offset``, writable, without a copy."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ValueError(f"[{offset}, {offset + length}) is outside the region's {self.size} bytes")
        return self.buffer[offset:offset + length]

    def close(self) -> None:
        """Unmaps the region (and removes its file if :meth:`create` made it). Unregister it first.

        Raises ``BufferError`` while arrays or views of it are still alive.
        """
        if self._mmap.closed:
            return
        self.buffer.release()
        try:
            self._mmap.close()
        except BufferError:
            self.buffer = memoryview(self._mmap)
            raise BufferError(f"region {self.path} still has views (numpy arrays, tensors, memoryviews); "
                              "delete them before closing it") from None
        if self._unlink is not None:
            self._unlink()

    def __enter__(self) -> "Region":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Region({self.path!r}, {self.size} bytes)"


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class RegisteredRegion(NamedTuple):
    """A region as one connection knows it: ``id`` is what slices name."""

    id: int
    region: Region

    def slice(self, offset: int, length: int) -> Slice:
        if offset < 0 or length <= 0 or offset + length > self.region.size:
            raise ValueError(f"[{offset}, {offset + length}) is outside the region's {self.region.size} bytes")
        return Slice(self.id, offset, length)

    def rows(self, length: int, count: int, start: int = 0, stride: int | None = None) -> list[Slice]:
        """``count`` slices of ``length`` bytes, the first at row ``start``, rows ``stride`` (default ``length``) apart."""
        stride = length if stride is None else stride
        end = (start + count - 1) * stride + length if count else 0
        if start < 0 or count < 0 or end > self.region.size:
            raise ValueError(f"{count} rows of {length} bytes from row {start} (stride {stride}) need {end} bytes; "
                             f"the region has {self.region.size}")
        return [Slice(self.id, (start + i) * stride, length) for i in range(count)]
