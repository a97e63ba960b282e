package io.spillway.server.protocol;

/**
 * The constants of the daemon's wire protocol, version {@value #VERSION}. The whole protocol is
 * written down in {@code docs/protocol.md}; this class and {@link FrameHeader} are its source of
 * truth in code.
 *
 * <p>Why there is no CRC in the frame: frames travel only over a local Unix domain socket, a
 * kernel memory copy that cannot flip bits or reorder bytes, and they never carry block data (the
 * data plane is shared memory, and every stored block already carries its own CRC32C, checked on
 * every load). A frame CRC would cost a pass over every key array and protect nothing the kernel
 * does not. What a hostile or buggy peer can send is caught by strict decoding instead: exact
 * lengths, zero reserved fields, bounded counts, strict UTF-8.
 */
public final class Protocol {

    /** The first four bytes of every frame: ASCII {@code SPWY}, read as a little-endian u32. */
    public static final int MAGIC = 0x59575053;
    /** The protocol version this daemon and its clients speak. */
    public static final int VERSION = 1;
    /** Bytes of the frame header: magic, version, type, request id, body length, flags. */
    public static final int HEADER_BYTES = 24;
    /** The largest request body accepted: a dump of {@link #MAX_KEYS} blocks fits with room. */
    public static final int MAX_REQUEST_BODY = 4 << 20;
    /** The most keys (or blocks) one request may name. */
    public static final int MAX_KEYS = 65_536;
    /** The most job ids one WAIT may name. */
    public static final int MAX_WAIT_JOBS = 4_096;
    /** The longest a WAIT may block: ten minutes. */
    public static final int MAX_WAIT_MILLIS = 600_000;
    /** The most UTF-8 bytes of a namespace fingerprint. */
    public static final int MAX_NAMESPACE_BYTES = 1_024;
    /** The most UTF-8 bytes of a client's self-description. */
    public static final int MAX_CLIENT_NAME_BYTES = 256;
    /** The most UTF-8 bytes of a region's path. */
    public static final int MAX_PATH_BYTES = 4_095;
    /** The most UTF-8 bytes of an error message or a job's detail. */
    public static final int MAX_MESSAGE_BYTES = 4_096;
    /** Bytes of a key on the wire. */
    public static final int KEY_BYTES = 32;
    /** Bytes of a slice on the wire: region u32, length u32, offset u64. */
    public static final int SLICE_BYTES = 16;
    /** Bytes of a WAIT reply entry before its outcomes: see {@link JobReport}. */
    public static final int JOB_REPORT_BYTES = 32;
    /** The bit that turns a request type into its reply's type. */
    public static final int REPLY_BIT = 0x8000;
    /** The type of the notice sent just before the daemon closes a connection for a protocol error. */
    public static final int CLOSING_TYPE = 0xFFFF;

    private Protocol() {
    }
}
