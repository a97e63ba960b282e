"""Wire constants and codecs of the daemon protocol, version 1 (docs/protocol.md)."""

from __future__ import annotations

import struct

MAGIC = 0x59575053  # ASCII "SPWY", little-endian
VERSION = 1
HEADER = struct.Struct("<IHHQII")  # magic, version, type, request id, body length, flags
HEADER_BYTES = HEADER.size
REPLY_BIT = 0x8000
CLOSING = 0xFFFF
KEY_BYTES = 32
SLICE = struct.Struct("<IIQ")  # region, length, offset

HELLO = 0x0001
PING = 0x0002
REGISTER_REGION = 0x0003
UNREGISTER_REGION = 0x0004
LOOKUP = 0x0010
LOOKUP_PREFIX = 0x0011
DUMP = 0x0020
LOAD = 0x0021
WAIT = 0x0022
COMMIT = 0x0030
DELETE = 0x0031
STATS = 0x0040
ARENA = 0x0050
PIN = 0x0051
UNPIN = 0x0052

NAMES = {HELLO: "HELLO", PING: "PING", REGISTER_REGION: "REGISTER_REGION", UNREGISTER_REGION: "UNREGISTER_REGION",
         LOOKUP: "LOOKUP", LOOKUP_PREFIX: "LOOKUP_PREFIX", DUMP: "DUMP", LOAD: "LOAD", WAIT: "WAIT", COMMIT: "COMMIT",
         DELETE: "DELETE", STATS: "STATS", ARENA: "ARENA", PIN: "PIN", UNPIN: "UNPIN"}

MAX_KEYS = 65_536
MAX_WAIT_JOBS = 4_096
MAX_WAIT_MILLIS = 600_000

U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
HELLO_REPLY = struct.Struct("<HHIQIIIIIIII")
WAIT_HEAD = struct.Struct("<IB3xI")
JOB_REPORT = struct.Struct("<QBBBxIQII")
ARENA_REPLY = struct.Struct("<QQI4x")  # size, epoch, page size, reserved; then str path
PIN_HEAD = struct.Struct("<QI4x")  # pin id, count, reserved
PIN_ENTRY = struct.Struct("<QIB3x")  # arena offset, length, outcome, reserved

PENDING, DONE, UNKNOWN = 0, 1, 2


def string(s: str, limit: int, what: str) -> bytes:
    """u16 length + UTF-8, refused (ValueError) beyond ``limit`` bytes."""
    b = s.encode("utf-8")
    if len(b) > limit:
        raise ValueError(f"{what} is {len(b)} UTF-8 bytes; at most {limit} are allowed")
    return U16.pack(len(b)) + b


def read_string(buf: memoryview, at: int) -> tuple[str, int]:
    """The string at ``buf[at]`` and the offset after it."""
    (n,) = U16.unpack_from(buf, at)
    end = at + 2 + n
    if end > len(buf):
        raise ValueError("string runs past the end of the body")
    return bytes(buf[at + 2:end]).decode("utf-8"), end
