"""Optional numpy and torch views of a region (no copies). Import only what you have installed."""

from __future__ import annotations

import warnings
from typing import Any

from .region import Region

__all__ = ["as_numpy", "as_tensor", "pin", "unpin"]


def as_numpy(region: Region, dtype: Any = "uint8", shape: tuple[int, ...] | None = None, offset: int = 0) -> Any:
    """A numpy array over the region's pages (``shape`` default: all that fits after ``offset``)."""
    import numpy as np

    dt = np.dtype(dtype)
    count = -1 if shape is None else int(np.prod(shape))
    arr = np.frombuffer(region.buffer, dtype=dt, count=count, offset=offset)
    return arr if shape is None else arr.reshape(shape)


def as_tensor(region: Region, dtype: Any = None, shape: tuple[int, ...] | None = None, offset: int = 0) -> Any:
    """A CPU torch tensor over the region's pages (default dtype uint8)."""
    import torch

    dtype = torch.uint8 if dtype is None else dtype
    itemsize = torch.empty((), dtype=dtype).element_size()
    count = (region.size - offset) // itemsize if shape is None else int(torch.Size(shape).numel())
    if getattr(region, "readonly", False):
        # torch has no read-only tensors: it warns that writing would be undefined; this view is
        # only ever a copy source (the daemon's arena), so say nothing.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not writable.*")
            t = torch.frombuffer(region.buffer, dtype=dtype, count=count, offset=offset)
    else:
        t = torch.frombuffer(region.buffer, dtype=dtype, count=count, offset=offset)
    return t if shape is None else t.view(shape)


def pin(region: Region) -> None:
    """Page-locks the region for CUDA (``cudaHostRegister``), so GPU copies from and to it run at full speed."""
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("pinning needs CUDA, and torch sees no CUDA device")
    t = as_tensor(region)
    # A read-only mapping (the daemon's arena) needs cudaHostRegisterReadOnly: the GPU only reads it.
    flags = _CUDA_HOST_REGISTER_READ_ONLY if getattr(region, "readonly", False) else 0
    rc = torch.cuda.cudart().cudaHostRegister(t.data_ptr(), region.size, flags)
    if int(rc) != 0:
        raise RuntimeError(f"cudaHostRegister of {region.size} bytes (flags {flags}) failed with CUDA error {int(rc)}")


def unpin(region: Region) -> None:
    """Undoes :func:`pin` (``cudaHostUnregister``); call it before closing the region."""
    import torch

    torch.cuda.cudart().cudaHostUnregister(as_tensor(region).data_ptr())


_CUDA_HOST_REGISTER_READ_ONLY = 0x08  # cudaHostRegisterReadOnly (CUDA 11.1+)
