"""Moving whole KV blocks between a Spillway daemon and the model's device (a CUDA GPU, or the CPU).

Loads, when the daemon's store has a DRAM tier (``store_pipeline: "Cache|Disk"``): this client
maps the daemon's arena read-only and registers it with CUDA once (``cudaHostRegister``, read-only
flag); per chunk it asks the daemon to PIN the chunk's blocks (the daemon checks each one's
CRC32C and holds it in place), queues one host-to-device copy per block straight out of the arena,
and releases the pins as soon as those copies are done. No host copy in between: the bytes cross
PCIe once, from the page the DRAM tier holds them in. Blocks the DRAM tier does not hold (only the
disk tier does) are loaded the other way:

Loads through a region (no DRAM tier, or the blocks the arena lacks): the daemon reads the blocks
into this client's pinned region, in chunks, and each chunk's host-to-device copy is queued as
soon as that chunk's load finished, so the daemon's reads and the PCIe copies overlap.

Dumps gather the new blocks on the GPU, copy them into the pinned dump region and submit one
``dump`` per chunk; a chunk's region space is reused only after its dump finished.

On the CPU (a model whose ``device.type`` is ``"cpu"``) the same steps run with plain host copies:
nothing is registered with CUDA, a DRAM hit is one host copy out of the read-only arena mapping
into the staging tensor (PIN and UNPIN as on the GPU), a disk hit one out of the load region, both
then scattered per layer as on the GPU, and a dump gathers straight into the dump region. The
difference is confined to :class:`_CudaCopies` and :class:`_CpuCopies`; the protocol with the
daemon is the same code for both.
"""

from __future__ import annotations

import contextlib
from typing import Any, ContextManager, List, Optional, Sequence

import torch

from .. import arrays
from ..errors import NoArena
from ..outcome import Outcome
from ..region import Region
from .kvlayout import KvGeometry, LayerKV, gather_blocks


class _CudaCopies:
    """Copies between host memory and a CUDA device, queued on a stream of their own.

    Host memory the GPU copies from or to is page-locked (``cudaHostRegister``) so the copies run
    at PCIe speed and asynchronously; a fence (a CUDA event) tells when queued copies have left
    the host memory, so its pins or its region space can be handed back.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.stream = torch.cuda.Stream(device=device)

    def register(self, region: Region) -> None:
        arrays.pin(region)

    def unregister(self, region: Region) -> None:
        arrays.unpin(region)

    def queue(self) -> ContextManager[Any]:
        """The context the copies of one batch are queued in."""
        return torch.cuda.stream(self.stream)

    @staticmethod
    def copy(dst: torch.Tensor, src: torch.Tensor) -> None:
        dst.copy_(src, non_blocking=True)

    def fence(self) -> Any:
        done = torch.cuda.Event()
        done.record(self.stream)
        return done

    @staticmethod
    def passed(fence: Any) -> bool:
        return fence.query()

    def drain(self) -> None:
        """Every queued copy has finished (its host memory may be reused)."""
        self.stream.synchronize()

    def hand_over(self) -> None:
        """The model's stream waits for the copies, so what it runs next sees the loaded bytes."""
        torch.cuda.current_stream(self.device).wait_stream(self.stream)

    def synchronize(self) -> None:
        torch.cuda.synchronize(self.device)

    def pack(self, layers: Sequence[LayerKV], geometry: KvGeometry, first_block: int, count: int,
             host: torch.Tensor) -> None:
        """Blocks ``first_block ..`` of ``layers`` into ``host`` (``[batch*count, block_bytes]``)."""
        packed = gather_blocks(layers, geometry, first_block, count)  # [B, count, bb] on the GPU
        host.copy_(packed.view(host.shape))


class _CpuCopies:
    """Copies on the CPU: synchronous, so every fence has passed as soon as it is taken."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def register(self, region: Region) -> None:
        pass  # nothing to page-lock: no device copies from it

    def unregister(self, region: Region) -> None:
        pass

    @staticmethod
    def queue() -> ContextManager[Any]:
        return contextlib.nullcontext()

    @staticmethod
    def copy(dst: torch.Tensor, src: torch.Tensor) -> None:
        dst.copy_(src)

    @staticmethod
    def fence() -> Any:
        return True

    @staticmethod
    def passed(fence: Any) -> bool:
        return True

    def drain(self) -> None:
        pass

    def hand_over(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    @staticmethod
    def pack(layers: Sequence[LayerKV], geometry: KvGeometry, first_block: int, count: int,
             host: torch.Tensor) -> None:
        batch = layers[0][0].shape[0]
        # The gather writes straight into the dump region: no packed tensor in between.
        gather_blocks(layers, geometry, first_block, count, out=host.view(batch, count, geometry.block_bytes))


def _copies_for(device: torch.device) -> Any:
    if device.type == "cuda":
        return _CudaCopies(device)
    if device.type == "cpu":
        return _CpuCopies(device)
    raise ValueError(f"GpuStaging runs on a CUDA device or the CPU, not on {device}")


class GpuStaging:
    """Host regions registered with the daemon, and the copies between them and the model's device.

    Args:
        client: a connected ``spillway.Client``.
        geometry: the blocks' layout.
        max_blocks: blocks the load region holds (a load of more is done in several passes).
        device: the CUDA device, or the CPU (then no memory is page-locked and copies are plain host copies).
        chunk_blocks: blocks per load job (smaller: more overlap of reads and copies; larger: fewer
            requests).
        dump_blocks: blocks the dump region holds.
        use_arena: copy DRAM-tier hits straight out of the daemon's arena (when it has one); False
            loads everything through the region.
    """

    def __init__(self, client: Any, geometry: KvGeometry, max_blocks: int, device: torch.device, *,
                 chunk_blocks: int = 8, dump_blocks: int | None = None, timeout: float = 30.0,
                 use_arena: bool = True) -> None:
        if max_blocks <= 0 or chunk_blocks <= 0:
            raise ValueError(f"max_blocks and chunk_blocks must be positive, got {max_blocks}, {chunk_blocks}")
        self.client = client
        self.geometry = geometry
        self.device = torch.device(device)
        self.copies = _copies_for(self.device)
        self.timeout = timeout
        self.chunk_blocks = chunk_blocks
        self.max_blocks = max_blocks
        self.dump_blocks = dump_blocks or min(max_blocks, 64)
        bb = geometry.block_bytes
        self.load_region = Region.create(max_blocks * bb)
        self.dump_region = Region.create(self.dump_blocks * bb)
        self._pinned: List[Region] = []
        for r in (self.load_region, self.dump_region):
            self.copies.register(r)
            self._pinned.append(r)
        self.load_reg = client.register(self.load_region, timeout=timeout)
        self.dump_reg = client.register(self.dump_region, timeout=timeout)
        self.load_host = arrays.as_tensor(self.load_region)
        self.dump_host = arrays.as_tensor(self.dump_region)
        self.last_error: Optional[str] = None
        self.arena: Optional[Region] = None
        self.arena_note = "not asked for" if not use_arena else None
        """Why loads do not copy out of the daemon's arena (None when they do)."""
        if use_arena:
            self._map_arena()

    def _map_arena(self) -> None:
        try:
            info = self.client.arena(timeout=self.timeout)
        except NoArena:
            self.arena_note = "the daemon's store has no DRAM tier"
            return
        try:
            region = Region.open(info.path, info.size, readonly=True)
        except OSError as e:
            self.arena_note = f"cannot map the daemon's arena {info.path}: {e}"
            return
        try:
            self.copies.register(region)
        except RuntimeError as e:
            region.close()
            self.arena_note = str(e)
            return
        self.arena = region
        self.arena_host = arrays.as_tensor(region)

    # ------------------------------------------------------------------ loads

    def load(self, rows: Sequence[Sequence[bytes]]) -> Optional[torch.Tensor]:
        """Loads ``rows[b][j]`` into ``out[b, j]`` of a new ``[batch, n, block_bytes]`` tensor on the device.

        Returns None (and sets :attr:`last_error`) when any block is not ``OK``: the caller then
        recomputes instead of using partial KV.
        """
        batch, n = len(rows), len(rows[0])
        if any(len(r) != n for r in rows):
            raise ValueError("every row of a batch loads the same number of blocks")
        out = torch.empty((batch, n, self.geometry.block_bytes), dtype=torch.uint8, device=self.device)
        flat_keys = [k for r in rows for k in r]
        flat_out = out.view(batch * n, self.geometry.block_bytes)
        if self.arena is not None:
            ok = self._load_from_arena(flat_keys, flat_out)
        else:
            ok = self._load_through_region(flat_keys, flat_out, list(range(len(flat_keys))))
        self.copies.hand_over()
        return out if ok else None

    def _load_from_arena(self, keys: List[bytes], out: torch.Tensor) -> bool:
        """DRAM hits copied out of the pinned arena; the rest through the region. False if any block is not OK."""
        bb = self.geometry.block_bytes
        held: List[Any] = []  # (event after the copies, pin), oldest first
        elsewhere: List[int] = []  # blocks to LOAD instead
        try:
            for base in range(0, len(keys), self.chunk_blocks):
                pin = self.client.pin(keys[base:base + self.chunk_blocks], timeout=self.timeout)
                held.append((None, pin))
                with self.copies.queue():
                    for i, outcome in enumerate(pin.outcomes):
                        if outcome is not Outcome.OK:
                            # Not in DRAM, the pins at their cap, or a DRAM copy that failed its
                            # CRC (the daemon dropped it): LOAD it, from the disk tier if need be.
                            elsewhere.append(base + i)
                        elif pin.lengths[i] != bb:
                            self.last_error = f"block {base + i} in the DRAM tier: {pin.lengths[i]} bytes where the layout has {bb}"
                            return False
                        else:
                            at = pin.offsets[i]
                            self.copies.copy(out[base + i], self.arena_host[at:at + bb])
                    done = self.copies.fence()
                held[-1] = (done, pin)
                # Hand back the pins whose copies have left the arena, so eviction is held up briefly.
                while held and held[0][0] is not None and self.copies.passed(held[0][0]):
                    held.pop(0)[1].release(timeout=self.timeout)
            return not elsewhere or self._load_through_region([keys[i] for i in elsewhere], out, elsewhere)
        finally:
            self.copies.drain()  # every copy has left the arena: the pins may go
            for _, pin in held:
                pin.release(timeout=self.timeout)

    def _load_through_region(self, keys: List[bytes], out: torch.Tensor, rows: List[int]) -> bool:
        """``keys[i]`` into ``out[rows[i]]`` through the pinned load region."""
        bb = self.geometry.block_bytes
        for base in range(0, len(keys), self.max_blocks):
            part = keys[base:base + self.max_blocks]
            jobs = []
            for c in range(0, len(part), self.chunk_blocks):
                ks = part[c:c + self.chunk_blocks]
                jobs.append((c, len(ks), self.client.load(ks, self.load_reg.rows(bb, len(ks), start=c),
                                                          timeout=self.timeout)))
            for c, count, job in jobs:
                result = job.wait(self.timeout)
                if result is None or not result.ok:
                    self.last_error = f"load of blocks {base + c}..{base + c + count - 1}: " + (
                        "timed out" if result is None else _summary(result))
                    for _, _, j in jobs:
                        j.wait(self.timeout)  # never leave a load writing into the region we reuse
                    return False
                with self.copies.queue():
                    first = rows[base + c]
                    if rows[base + c + count - 1] - first == count - 1:  # consecutive rows: one copy
                        self.copies.copy(out[first:first + count],
                                         self.load_host[c * bb:(c + count) * bb].view(count, bb))
                    else:
                        for j in range(count):
                            self.copies.copy(out[rows[base + c + j]], self.load_host[(c + j) * bb:(c + j + 1) * bb])
            # The region is reused by the next pass: its copies must have left it.
            self.copies.drain()
        return True

    # ------------------------------------------------------------------ dumps

    def dump(self, rows: Sequence[Sequence[bytes]], layers: Sequence[LayerKV], first_block: int) -> List[Any]:
        """Dumps blocks ``first_block ..`` of each row from ``layers`` (waits for each chunk's dump)."""
        batch, n = len(rows), len(rows[0])
        results = []
        bb = self.geometry.block_bytes
        per = max(1, self.dump_blocks // batch)
        for j in range(0, n, per):
            count = min(per, n - j)
            self.copies.pack(layers, self.geometry, first_block + j, count,
                             self.dump_host[:batch * count * bb].view(batch * count, bb))
            keys = [rows[b][j + i] for b in range(batch) for i in range(count)]
            job = self.client.dump(keys, self.dump_reg.rows(bb, len(keys)), timeout=self.timeout)
            result = job.wait(self.timeout)
            if result is None:
                raise TimeoutError(f"dump of {len(keys)} blocks did not finish in {self.timeout} s")
            results.append(result)
        return results

    def synchronize(self) -> None:
        """Waits for the device's queued work (a no-op on the CPU): for timings that mean what they say."""
        self.copies.synchronize()

    @staticmethod
    def wait_dump(results: List[Any], timeout: float) -> List[Any]:
        return results

    def close(self) -> None:
        for reg in (self.load_reg, self.dump_reg):
            try:
                self.client.unregister(reg, timeout=self.timeout)
            except Exception:  # the daemon may be gone; the region files go with close() below
                pass
        del self.load_host, self.dump_host
        for r in self._pinned:
            self.copies.unregister(r)
        self.load_region.close()
        self.dump_region.close()
        if self.arena is not None:
            del self.arena_host
            self.copies.unregister(self.arena)
            self.arena.close()
            self.arena = None


def _summary(result: Any) -> str:
    """``2 MISSING, 1 CORRUPT (first: <detail>)`` for a job that was not all OK."""
    counts: dict = {}
    for o in result.outcomes:
        if o.name != "OK":
            counts[o.name] = counts.get(o.name, 0) + 1
    text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    return text + (f" (first: {result.detail})" if result.detail else "")
