package io.spillway.gpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUipcMemHandle;

/**
 * Raw addresses for JCuda's pointer objects.
 *
 * <p>Why reflection: JCuda keeps a pointer's address in a private field and offers no public way
 * to build a {@link CUdeviceptr} from an address that came from elsewhere (a vLLM tensor's
 * {@code data_ptr()}, a pinned buffer's {@link java.lang.foreign.MemorySegment}), nor to read an
 * IPC handle's 64 bytes. JCuda sits on the class path (the unnamed module), so a private lookup
 * is allowed without {@code --add-opens}. Every address handed to JCuda goes through here.
 */
final class JCudaAccess {

    private static final VarHandle NATIVE_POINTER;
    private static final VarHandle BYTE_OFFSET;
    private static final VarHandle IPC_RESERVED;

    static {
        try {
            NATIVE_POINTER = MethodHandles.privateLookupIn(NativePointerObject.class, MethodHandles.lookup())
                    .findVarHandle(NativePointerObject.class, "nativePointer", long.class);
            BYTE_OFFSET = MethodHandles.privateLookupIn(Pointer.class, MethodHandles.lookup())
                    .findVarHandle(Pointer.class, "byteOffset", long.class);
            IPC_RESERVED = MethodHandles.privateLookupIn(CUipcMemHandle.class, MethodHandles.lookup())
                    .findVarHandle(CUipcMemHandle.class, "reserved", byte[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("JCuda's pointer internals changed: " + e);
        }
    }

    private JCudaAccess() {
    }

    /** The address a pointer refers to (its base plus its byte offset). */
    static long address(Pointer p) {
        return (long) NATIVE_POINTER.get((NativePointerObject) p) + (long) BYTE_OFFSET.get(p);
    }

    /** A device pointer (a unified virtual address: device or mapped pinned host memory). */
    static CUdeviceptr devicePtr(long address) {
        CUdeviceptr p = new CUdeviceptr();
        NATIVE_POINTER.set((NativePointerObject) p, address);
        return p;
    }

    /** A host pointer to native memory at {@code address}. */
    static Pointer hostPtr(long address) {
        // A CUdeviceptr is a Pointer whose address JCuda passes through unchanged.
        return devicePtr(address);
    }

    static CUipcMemHandle ipcHandle(byte[] bytes) {
        if (bytes.length != 64) {
            throw new IllegalArgumentException("a CUDA IPC memory handle is 64 bytes, got " + bytes.length);
        }
        CUipcMemHandle h = new CUipcMemHandle();
        IPC_RESERVED.set(h, bytes.clone());
        return h;
    }

    static byte[] ipcBytes(CUipcMemHandle h) {
        return ((byte[]) IPC_RESERVED.get(h)).clone();
    }
}
