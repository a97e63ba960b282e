"""Failures: a corrupted segment, a daemon that dies or hangs, a client that dies, shutdown."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import spillway
from spillway import Outcome
from spillway.testing import Daemon
from conftest import STORE, fill, flip_on_disk


def test_a_corrupted_segment_is_reported_corrupt_never_served(daemon, client, region):
    size = 64 << 10
    r = region(2 * size)
    h = client.register(r)
    key = secrets.token_bytes(32)
    data = fill(r.view(0, size), 4242)
    assert client.dump([key], [h.slice(0, size)]).wait().durable
    flip_on_disk(daemon.directory, data, size // 2)
    r.view(size, size)[:] = b"\x77" * size
    result = client.load([key], [h.slice(size, size)]).wait()
    assert result.outcomes == (Outcome.CORRUPT,), result
    assert bytes(r.view(size, size)) == b"\x77" * size, "a corrupt block must leave its slice untouched"
    assert client.lookup([key]) == [False], "a corrupt block is dropped from the index"


def test_a_client_killed_mid_dump_leaves_the_daemon_healthy(daemon, client):
    script = textwrap.dedent(f"""
        import secrets, sys, time
        sys.path.append({os.path.join(os.path.dirname(__file__), '..', 'src')!r})
        import spillway
        c = spillway.Client({daemon.socket_path!r}, namespace="dying")
        r = spillway.Region.create(64 << 20)
        h = c.register(r)
        for i in range(8):
            c.dump([secrets.token_bytes(32) for _ in range(4)], h.rows(2 <<20, 4, start=4 * (i % 8)))
        print("submitted", r.path, flush=True)
        time.sleep(60)
    """)
    before = client.stats()["server"]
    for _ in range(3):
        p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = p.stdout.readline()
        assert line.startswith(b"submitted "), line + p.stdout.read()
        p.kill()
        p.wait(30)
        p.stdout.close()
        os.unlink(line.split()[1].decode())  # a killed client cannot remove its region file; the daemon's mapping may outlive it
    deadline = time.monotonic() + STORE["timeout_ms"] / 1000 + 30
    while True:
        s = client.stats()["server"]
        if s["connections"] == before["connections"] and s["regions"] == before["regions"] and s["jobs_in_flight"] == 0:
            break
        assert time.monotonic() < deadline, f"the daemon still holds a dead client's resources: {s}"
        time.sleep(0.1)
    assert s["region_bytes"] == before["region_bytes"] and s["jobs_unreported"] == before["jobs_unreported"]
    assert not [m for m in open(f"/proc/{daemon.pid}/maps") if "spillway-" in m and "/dev/shm" in m and "deleted" in m]
    assert client.ping() < 5


def _bulk(client, region, n: int, size: int):
    r = region(n * size)
    h = client.register(r)
    keys = [secrets.token_bytes(32) for _ in range(n)]
    for i in range(n):
        fill(r.view(i * size, size), i)
    assert client.dump(keys, h.rows(size, n)).wait().ok
    return keys, h


def test_a_daemon_killed_mid_load_fails_the_client_in_time(region):
    with Daemon(config=STORE) as d, d.client(namespace="kill", timeout=5) as c:
        keys, h = _bulk(c, region, 32, 2 << 20)
        job = c.load(keys, h.rows(2 << 20, 32))
        d.kill()
        t0 = time.monotonic()
        with pytest.raises(spillway.ConnectionLost):
            job.wait(timeout=30)
        assert time.monotonic() - t0 < 5
        with pytest.raises(spillway.ConnectionLost):
            c.ping()
        with pytest.raises(spillway.ConnectionLost):
            spillway.Client(d.socket_path, namespace="late", timeout=5)


def test_a_hung_daemon_times_the_client_out(region):
    with Daemon(config=STORE) as d, d.client(namespace="hang", timeout=2) as c:
        os.kill(d.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            with pytest.raises(spillway.RequestTimeout):
                c.lookup_prefix([secrets.token_bytes(32)])
            assert time.monotonic() - t0 < 4
            assert c.closed
        finally:
            os.kill(d.pid, signal.SIGCONT)


def test_sigterm_drains_then_closes_the_store(region, tmp_path):
    with Daemon(tmp_path / "store", config=STORE) as d:
        with d.client(namespace="drain") as c:
            keys, h = _bulk(c, region, 16, 1 << 20)
            job = c.load(keys, h.rows(1 << 20, 16))
            d.process.send_signal(signal.SIGTERM)
            result = job.wait(timeout=30)
            assert result is not None and result.ok, result
        assert d.process.wait(120) == 128 + signal.SIGTERM
        assert not os.path.exists(d.socket_path)
        assert "closed store" in d.log()
    own = os.path.dirname(d.log_path)
    assert not os.path.exists(own), "stop() leaves none of the daemon's socket, config or log behind"
    assert os.path.isdir(d.directory), "a store the caller named is kept"
    with Daemon(d.directory, config=STORE) as again, again.client(namespace="drain") as c:
        assert c.lookup_prefix(keys) == 16
        assert "crash recovery" not in again.log(), "a drained shutdown is a clean one: no recovery at the next open"


def test_a_second_daemon_on_the_same_store_is_refused(daemon):
    second = Daemon(daemon.directory, config=STORE, startup_timeout=120)
    with pytest.raises(spillway.SpillwayError, match="cannot serve.*one owner"):
        second.start()
    second.stop()


def test_unsupported_version_and_garbage(daemon, client):
    import socket
    import struct

    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(daemon.socket_path)
        s.sendall(struct.pack("<IHHQII", 0x59575053, 99, 1, 7, 0, 0))
        reply = s.recv(4096)
        assert struct.unpack_from("<H", reply, 6)[0] == 0xFFFF and struct.unpack_from("<I", reply, 24)[0] == 7
        assert b"version 1" in reply
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(daemon.socket_path)
        s.sendall(os.urandom(4096))
        try:
            while s.recv(4096):
                pass
        except ConnectionResetError:
            pass  # the daemon closed with our garbage unread: a reset, as expected
    assert client.ping() < 5


def test_a_script_that_dies_of_an_exception_leaves_no_daemon_behind():
    # The daemon runs in a session of its own; without the exit hook it would outlive the script
    # and keep its store's and arena's locks (the next Cache|Disk daemon then runs without DRAM).
    script = textwrap.dedent(f"""
        import sys
        sys.path.append({os.path.join(os.path.dirname(__file__), '..', 'src')!r})
        from spillway.testing import Daemon
        d = Daemon(config={{"durability": "none"}}).start()
        print(d.pid, flush=True)
        raise RuntimeError("the script dies")
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=200)
    assert "the script dies" in p.stderr
    pid = int(p.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"daemon {pid} outlived the script that started it")
