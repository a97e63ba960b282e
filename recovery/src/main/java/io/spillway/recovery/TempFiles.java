package io.spillway.recovery;

import io.spillway.segments.CommitLog;
import io.spillway.segments.io.DirectIoProbe;
import java.util.regex.Pattern;

/**
 * The temporary files this store creates in a store directory, and nothing else: recovery
 * deletes these after a crash and never any other name (a foreign file, an NFS silly-rename
 * {@code .nfsXXXX} file, a user's notes).
 *
 * <ul>
 *   <li>{@code .spillway-probe-<pid>-<hex>}: the O_DIRECT probe of an open
 *       ({@link DirectIoProbe}); left behind only when that process died during its probe.
 *   <li>{@code seg-<16 hex>.<anything>.tmp}: reserved for a segment's temporary copies (the GC's
 *       rewrites); only this exact shape is ours.
 *   <li>{@code commits.log.tmp}: a {@link io.spillway.segments.CommitLog} rewrite a crash
 *       interrupted before its rename (the old log is whole).
 * </ul>
 * Recovery holds the store's lock, so no live process of ours can be using one of them.
 */
public final class TempFiles {

    private static final Pattern SEGMENT_TMP = Pattern.compile("seg-[0-9a-f]{16}\\.[A-Za-z0-9.-]+\\.tmp");

    private TempFiles() {
    }

    /** Whether {@code name} is a temporary file of this store. */
    public static boolean isOurs(String name) {
        return name.startsWith(DirectIoProbe.PROBE_FILE_PREFIX) || SEGMENT_TMP.matcher(name).matches()
                || name.equals(CommitLog.TEMP_NAME);
    }

    /** Whether {@code name} is an NFS client's silly-rename file (a deleted file still open somewhere). */
    public static boolean isNfsSillyRename(String name) {
        return name.startsWith(".nfs");
    }
}
