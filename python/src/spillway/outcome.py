"""Per-block outcomes and job results."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Outcome", "JobKind", "JobResult"]


class Outcome(enum.IntEnum):
    """What happened to one block of a dump or load (the daemon's u8 codes)."""

    OK = 0
    """Dump: written, or already present. Load: the exact bytes were delivered."""
    MISSING = 1
    """Load: the block is not in the store."""
    CORRUPT = 2
    """Load: the stored bytes failed their checksum; nothing was delivered, the block was dropped."""
    TIMEOUT = 3
    """The store's deadline passed before this block finished; a timed-out dump never becomes visible."""
    IO_ERROR = 4
    """The IO failed; for a dump, the block was not stored."""
    BUSY = 5
    """The store's queue was full; nothing was done."""
    STORE_FULL = 6
    """No space left for this dump."""
    ABORTED = 7
    """A manual-commit dump rolled back before it finished."""
    UNKNOWN = 255
    """A code this client version does not know (a newer daemon's); never OK."""

    @classmethod
    def from_code(cls, code: int) -> "Outcome":
        try:
            return cls(code)
        except ValueError:
            return cls.UNKNOWN


_BY_CODE = tuple(Outcome.from_code(c) for c in range(256))


def outcomes_of(codes: bytes | memoryview) -> tuple[Outcome, ...]:
    """Decodes a run of outcome bytes (fast: one table look-up per block)."""
    return tuple(map(_BY_CODE.__getitem__, codes))


class JobKind(enum.Enum):
    DUMP = 1
    LOAD = 2


@dataclass(frozen=True)
class JobResult:
    """A finished job: one :class:`Outcome` per block, in the order of the job's keys.

    ``bytes`` counts payload bytes moved by blocks that ended OK (a deduplicated dump moves none);
    ``durable`` is true for a dump whose OK blocks are all on stable storage; ``elapsed`` is in
    seconds from submission to completion; ``detail`` is the first failed block's message, or "".
    """

    job_id: int
    kind: JobKind
    outcomes: tuple[Outcome, ...]
    bytes: int
    deduplicated: int
    durable: bool
    elapsed: float
    detail: str

    @property
    def ok(self) -> bool:
        """Whether every block ended OK."""
        return all(o is Outcome.OK for o in self.outcomes)

    def indices(self, outcome: Outcome) -> list[int]:
        """The blocks that ended with ``outcome``."""
        return [i for i, o in enumerate(self.outcomes) if o is outcome]

    def counts(self) -> dict[Outcome, int]:
        """How many blocks ended in each outcome."""
        out: dict[Outcome, int] = {}
        for o in self.outcomes:
            out[o] = out.get(o, 0) + 1
        return out
