"""A tiny CUDA IPC exporter: stands in for an inference process that hands its KV memory to
Spillway. Allocates SIZE bytes with cuMemAlloc, fills them with random bytes through torch,
prints 'HANDLE <128 hex> SHA256 <hex>' and then answers each 'CHECK' line on stdin with
'SHA256 <hex>' of the memory as it is now (so the importer can prove what it wrote), until EOF.
Needs torch and cuda-bindings (the device machine has both)."""
import hashlib
import sys

import torch
from cuda.bindings import driver as cu


def ok(res):
    """cuda-bindings returns (err,) or (err, value): raise on err, return the value."""
    err, *rest = res
    if err != cu.CUresult.CUDA_SUCCESS:
        raise RuntimeError(f"CUDA error {err}")
    return rest[0] if rest else None


def main():
    size = int(sys.argv[1])
    torch.cuda.init()
    torch.zeros(1, device="cuda")  # makes the primary context current
    dptr = ok(cu.cuMemAlloc(size))
    src = torch.randint(0, 256, (size,), dtype=torch.uint8, device="cuda")
    ok(cu.cuMemcpyDtoD(dptr, src.data_ptr(), size))
    ok(cu.cuCtxSynchronize())
    handle = ok(cu.cuIpcGetMemHandle(dptr))
    raw = bytes(handle.reserved)

    def digest():
        host = torch.empty(size, dtype=torch.uint8)
        ok(cu.cuMemcpyDtoH(host.data_ptr(), dptr, size))
        return hashlib.sha256(host.numpy().tobytes()).hexdigest()

    print(f"HANDLE {raw.hex()} SHA256 {digest()}", flush=True)
    for line in sys.stdin:
        if line.strip() == "CHECK":
            print(f"SHA256 {digest()}", flush=True)
    ok(cu.cuMemFree(dptr))


if __name__ == "__main__":
    main()
