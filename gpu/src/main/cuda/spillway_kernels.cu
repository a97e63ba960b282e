// Gather/scatter and compare kernels for Spillway's GPU data path.
//
// Compiled to PTX and committed as src/main/resources/io/spillway/gpu/spillway_kernels.ptx,
// which GpuKernels loads with cuModuleLoadData. Regenerate after editing this file with:
//
//   nvcc -ptx -arch=compute_90 -O3 -o gpu/src/main/resources/io/spillway/gpu/spillway_kernels.ptx \
//        gpu/src/main/cuda/spillway_kernels.cu
//
// (gpu/device-test.sh --ptx does the same.) compute_90 PTX is JIT-compiled by the driver for
// the H100 at module load; nothing here needs Hopper-only instructions.
//
// Every kernel takes an array of copy descriptors in device memory. A descriptor is one
// contiguous piece: the host splits chunks into pieces of at most 64 KiB so that a 2 MiB
// contiguous block still spreads over many CTAs. src and dst are unified virtual addresses:
// device memory, or pinned host memory mapped into the device's address space, so one kernel
// packs scattered KV chunks straight into pinned staging (gather, D2H over PCIe) or unpacks
// staging into the KV cache (scatter, H2D).

#include <stdint.h>

struct Piece {
    uint64_t src;
    uint64_t dst;
    uint64_t len;
};

// 16-byte accesses, four in flight per thread before the first store: reads over PCIe have
// microseconds of latency, so each SM needs many independent loads outstanding.
extern "C" __global__ void spw_copy_pieces(const Piece* __restrict__ pieces, int count) {
    for (int p = blockIdx.x; p < count; p += gridDim.x) {
        const Piece pc = pieces[p];
        const char* src = reinterpret_cast<const char*>(pc.src);
        char* dst = reinterpret_cast<char*>(pc.dst);
        const uint64_t len = pc.len;
        if (((pc.src | pc.dst | len) & 15) == 0) {
            const uint4* s = reinterpret_cast<const uint4*>(src);
            uint4* d = reinterpret_cast<uint4*>(dst);
            const uint64_t n = len >> 4;
            const uint64_t stride = blockDim.x;
            uint64_t i = threadIdx.x;
            for (; i + 3 * stride < n; i += 4 * stride) {
                uint4 a = s[i];
                uint4 b = s[i + stride];
                uint4 c = s[i + 2 * stride];
                uint4 e = s[i + 3 * stride];
                d[i] = a;
                d[i + stride] = b;
                d[i + 2 * stride] = c;
                d[i + 3 * stride] = e;
            }
            for (; i < n; i += stride) {
                d[i] = s[i];
            }
        } else {
            for (uint64_t i = threadIdx.x; i < len; i += blockDim.x) {
                dst[i] = src[i];
            }
        }
    }
}

// Counts the bytes that differ between each piece's src and dst (the comparison of a load
// against the blocks that were dumped runs on the GPU, with no copy back to the host).
extern "C" __global__ void spw_count_mismatches(const Piece* __restrict__ pieces, int count,
                                                unsigned long long* mismatches) {
    unsigned long long local = 0;
    for (int p = blockIdx.x; p < count; p += gridDim.x) {
        const Piece pc = pieces[p];
        const unsigned char* a = reinterpret_cast<const unsigned char*>(pc.src);
        const unsigned char* b = reinterpret_cast<const unsigned char*>(pc.dst);
        for (uint64_t i = threadIdx.x; i < pc.len; i += blockDim.x) {
            local += (a[i] != b[i]) ? 1ull : 0ull;
        }
    }
    if (local != 0) {
        atomicAdd(mismatches, local);
    }
}

// Fills n bytes with a reproducible pseudo-random pattern (splitmix64 of seed and index), so
// tests never time or verify zeros.
extern "C" __global__ void spw_fill_random(unsigned char* dst, uint64_t n, uint64_t seed) {
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n >> 3);
         i += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        reinterpret_cast<uint64_t*>(dst)[i] = z;
    }
}
