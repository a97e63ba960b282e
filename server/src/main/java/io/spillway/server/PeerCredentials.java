package io.spillway.server;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is on the other end of a Unix domain socket, from the kernel (SO_PEERCRED): the peer's pid,
 * uid and gid at the time it connected. It is logged for every connection and decides who may
 * register which shared-memory file.
 *
 * <p>How: {@code getsockopt(fd, SOL_SOCKET, SO_PEERCRED)} through FFM on the channel's file
 * descriptor, which NIO exposes only through {@code sun.nio.ch.SelChImpl#getFDVal} (the launcher
 * and the tests export that package). Without the export, {@link ExtendedSocketOptions#SO_PEERCRED}
 * still gives the user and group names (not the pid); the pid is then -1 and said so once.
 *
 * @param pid the peer's process id, or -1 if unknown
 * @param uid the peer's user id, or -1 if only the name is known
 * @param gid the peer's group id, or -1 if only the name is known
 * @param user the peer's user name (or its uid as text)
 */
record PeerCredentials(long pid, long uid, long gid, String user) {

    private static final Logger LOG = LoggerFactory.getLogger(PeerCredentials.class);
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final Method FD_VAL = fdValMethod();
    private static final MethodHandle GETSOCKOPT = getsockopt();

    /** The peer of {@code channel}, as the kernel recorded it at connect. */
    static PeerCredentials of(SocketChannel channel) throws IOException {
        if (FD_VAL != null && GETSOCKOPT != null) {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) FD_VAL.invoke(channel);
                MemorySegment ucred = arena.allocate(12, 4);
                MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
                len.set(ValueLayout.JAVA_INT, 0, 12);
                int rc = (int) GETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_PEERCRED, ucred, len);
                if (rc == 0) {
                    long pid = ucred.get(ValueLayout.JAVA_INT, 0);
                    long uid = Integer.toUnsignedLong(ucred.get(ValueLayout.JAVA_INT, 4));
                    long gid = Integer.toUnsignedLong(ucred.get(ValueLayout.JAVA_INT, 8));
                    return new PeerCredentials(pid, uid, gid, principalUser(channel));
                }
            } catch (Throwable e) {
                LOG.debug("getsockopt(SO_PEERCRED) failed, falling back to the user name: {}", e.toString());
            }
        }
        return new PeerCredentials(-1, -1, -1, principalUser(channel));
    }

    private static String principalUser(SocketChannel channel) throws IOException {
        UnixDomainPrincipal p = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return p.user().getName();
    }

    /** Whether the peer is root (who may use any file). */
    boolean isRoot() {
        return uid == 0 || (uid < 0 && "root".equals(user));
    }

    @Override
    public String toString() {
        return "pid " + (pid < 0 ? "?" : pid) + ", uid " + (uid < 0 ? user : uid + " (" + user + ")") + (gid < 0 ? "" : ", gid " + gid);
    }

    private static Method fdValMethod() {
        try {
            Method m = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
            if (!SocketChannel.class.getModule().isExported("sun.nio.ch", PeerCredentials.class.getModule())) {
                LOG.info("peer pids are not logged: run with --add-exports java.base/sun.nio.ch=ALL-UNNAMED (./spillway does)");
                return null;
            }
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.info("peer pids are not logged: the socket's file descriptor is not reachable ({})", e.toString());
            return null;
        }
    }

    private static MethodHandle getsockopt() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("getsockopt").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException e) {
            LOG.info("peer pids are not logged: getsockopt is not linkable ({})", e.toString());
            return null;
        }
    }
}
