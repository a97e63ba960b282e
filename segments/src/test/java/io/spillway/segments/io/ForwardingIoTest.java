package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Every method of {@link FileIO} and {@link StoreFile}, the gather write included, reaches the
 * delegate with its arguments, and the delegate's result comes back. A method added to either
 * interface fails here until the forwarding base passes it on.
 */
class ForwardingIoTest {

    /** One call the delegate saw. */
    private record Call(String method, List<Object> args) {
    }

    private static final StoreFile OPENED = recording(StoreFile.class, new ArrayList<>());

    @Test
    void forwardingFileIoPassesEveryCallOn() throws Throwable {
        assertForwardsEveryMethod(FileIO.class, ForwardingFileIO.class, d -> new ForwardingFileIO(d) {
        });
    }

    @Test
    void forwardingStoreFilePassesEveryCallOn() throws Throwable {
        assertForwardsEveryMethod(StoreFile.class, ForwardingStoreFile.class, d -> new ForwardingStoreFile(d) {
        });
    }

    @Test
    void openedFilesPassThroughWrap() throws Exception {
        List<Path> wrapped = new ArrayList<>();
        FileIO io = new ForwardingFileIO(recording(FileIO.class, new ArrayList<>())) {
            @Override
            protected StoreFile wrap(Path file, StoreFile opened) {
                wrapped.add(file);
                return opened;
            }
        };
        io.openRead(Path.of("/store/r"));
        io.create(Path.of("/store/c"));
        io.openWrite(Path.of("/store/w"));
        assertEquals(List.of(Path.of("/store/r"), Path.of("/store/c"), Path.of("/store/w")), wrapped);
    }

    /** Every method of {@code type} is declared by {@code base} and reaches the delegate {@code wrap} was given. */
    private static <T> void assertForwardsEveryMethod(Class<T> type, Class<? extends T> base, UnaryOperator<T> wrap)
            throws Throwable {
        List<Call> seen = new ArrayList<>();
        T forwarding = wrap.apply(recording(type, seen));
        for (Method m : type.getMethods()) {
            assertDoesNotThrow(() -> base.getDeclaredMethod(m.getName(), m.getParameterTypes()),
                    () -> base.getSimpleName() + " does not forward " + m);
            assertForwarded(forwarding, m, seen);
        }
    }

    private static void assertForwarded(Object target, Method m, List<Call> seen) throws Throwable {
        seen.clear();
        Object[] args = Arrays.stream(m.getParameterTypes()).map(ForwardingIoTest::sample).toArray();
        Object result = m.invoke(target, args);
        assertEquals(List.of(new Call(m.getName(), List.of(args))), seen, () -> m + " was not passed on as called");
        if (m.getReturnType() == StoreFile.class) {
            assertSame(OPENED, result, () -> m + " did not return the delegate's handle");
        } else if (m.getReturnType() != void.class) {
            assertEquals(resultOf(m.getReturnType()), result, () -> m + " did not return the delegate's result");
        }
    }

    /** A proxy of {@code type} that records every call and answers with {@link #resultOf}. */
    private static <T> T recording(Class<T> type, List<Call> seen) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            seen.add(new Call(method.getName(), args == null ? List.of() : List.of(args)));
            return resultOf(method.getReturnType());
        }));
    }

    private static final List<String> NAMES = List.of("seg-0000000000000001.seg");

    private static Object resultOf(Class<?> type) {
        if (type == boolean.class) {
            return Boolean.TRUE;
        } else if (type == int.class) {
            return 4096;
        } else if (type == long.class) {
            return 123_456L;
        } else if (type == List.class) {
            return NAMES;
        } else if (type == StoreFile.class) {
            return OPENED;
        }
        return null;
    }

    private static final MemorySegment BUFFER = MemorySegment.ofArray(new byte[16]);

    private static Object sample(Class<?> type) {
        if (type == Path.class) {
            return Path.of("/store/seg-0000000000000002.open");
        } else if (type == long.class) {
            return 8192L;
        } else if (type == MemorySegment.class) {
            return BUFFER;
        } else if (type == List.class) {
            return List.of(BUFFER, BUFFER);
        }
        throw new AssertionError("no sample argument of " + type + ": extend sample() for the new method");
    }
}
