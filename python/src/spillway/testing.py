"""Start a real daemon for tests and notebooks.

>>> with Daemon() as d, d.client(namespace="demo") as c:
...     c.ping()

The launcher is ``$SPILLWAY_LAUNCHER`` if set, else ``./spillway`` of the checkout this package
sits in (or of the current directory or one of its parents). Its first run builds the Java side.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .client import Client
from .errors import SpillwayError

__all__ = ["Daemon", "find_launcher"]


def find_launcher() -> str:
    """The ``spillway`` launcher: ``$SPILLWAY_LAUNCHER``, else the repository's ``./spillway``."""
    env = os.environ.get("SPILLWAY_LAUNCHER")
    if env:
        if not os.access(env, os.X_OK):
            raise FileNotFoundError(f"SPILLWAY_LAUNCHER={env} is not an executable file")
        return env
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for d in (start, *start.parents):
            cand = d / "spillway"
            if cand.is_file() and os.access(cand, os.X_OK) and (d / "pom.xml").is_file():
                return str(cand)
    raise FileNotFoundError("cannot find the spillway launcher: set SPILLWAY_LAUNCHER=/path/to/spillway, or run from "
                            "inside the Spillway checkout")


class Daemon:
    """``spillway serve`` as a child process, on a store directory and socket of its own.

    :param directory: the store directory (default: a new temporary one, removed by :meth:`stop`
        unless ``keep`` is true)
    :param config: extra store config keys (``{"timeout_ms": 2000}``), written to a YAML file
    :param socket_path: default ``<tmp>/s/spillway.sock``
    :param metrics_port: serve /metrics and /health on loopback (0: any free port)
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, config: dict[str, Any] | None = None,
                 socket_path: str | None = None, metrics_port: int | None = None, launcher: str | None = None,
                 startup_timeout: float = 180.0, keep: bool = False, java_opts: str | None = None) -> None:
        self._tmp = tempfile.mkdtemp(prefix="spillway-daemon-")
        self.directory = os.fspath(directory) if directory is not None else os.path.join(self._tmp, "store")
        self.socket_path = socket_path or os.path.join(self._tmp, "s", "spillway.sock")
        self.config = {"storage_backends": [self.directory], **(config or {})}
        self.metrics_port = metrics_port
        self.launcher = launcher or find_launcher()
        self.startup_timeout = startup_timeout
        self.keep = keep or directory is not None
        self.java_opts = java_opts
        self.log_path = os.path.join(self._tmp, "daemon.log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the daemon is not started")
        return self.process.pid

    def start(self) -> "Daemon":
        """Starts the daemon and waits until it answers a ping (or fails, with its log in the error)."""
        cfg = os.path.join(self._tmp, "spillway.yaml")
        with open(cfg, "w") as f:
            for k, v in self.config.items():
                f.write(f"{k}: {json.dumps(v)}\n")  # JSON scalars and lists are YAML
        args = [self.launcher, "serve", "--config", cfg, "--socket", self.socket_path]
        if self.metrics_port is not None:
            args += ["--metrics-port", str(self.metrics_port)]
        env = dict(os.environ)
        # RocksDB and LZ4 unpack their native libraries into java.io.tmpdir and delete them only at
        # a normal exit: a daemon a test kills would leave 17 MB in /tmp each time. In this
        # object's directory they go with it (stop() removes it).
        jvm_tmp = os.path.join(self._tmp, "jvm-tmp")
        os.makedirs(jvm_tmp, exist_ok=True)
        opts = [env.get("SPILLWAY_JAVA_OPTS", ""), f"-Djava.io.tmpdir={jvm_tmp}", self.java_opts or ""]
        env["SPILLWAY_JAVA_OPTS"] = " ".join(o for o in opts if o)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
        log.close()
        # The daemon runs in a session of its own (a Ctrl-C meant for this process must not kill
        # it mid-test), so nothing stops it when this interpreter ends: a script that dies of an
        # exception would leave it holding its store's and its arena's locks. Stop it at exit.
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise SpillwayError(f"the daemon exited with status {code} before serving:\n{self.log()[-4000:]}")
            if os.path.exists(self.socket_path):
                try:
                    with Client(self.socket_path, namespace="spillway.testing", name="startup probe", timeout=5) as c:
                        c.ping()
                    return self
                except SpillwayError:
                    pass
            if time.monotonic() > deadline:
                self.kill()
                raise SpillwayError(f"the daemon did not serve within {self.startup_timeout} s:\n{self.log()[-4000:]}")
            time.sleep(0.05)

    def client(self, namespace: str, **kwargs: Any) -> Client:
        """A new client of this daemon."""
        return Client(self.socket_path, namespace=namespace, **kwargs)

    def log(self) -> str:
        """Everything the daemon printed so far."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def metrics_url(self) -> str:
        """``http://127.0.0.1:N/`` of the metrics endpoint (needs ``metrics_port``)."""
        import re

        m = re.search(r"metrics on (http://127\.0\.0\.1:\d+/)", self.log())
        if not m:
            raise SpillwayError("the daemon has no metrics endpoint (start it with metrics_port=0)")
        return m.group(1)

    def terminate(self, timeout: float = 120.0) -> int:
        """SIGTERM (drain, close the store) and wait; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)

    def stop(self) -> None:
        """Terminates the daemon (killing it if it does not stop in time) and removes its temporary files: the
        socket, the config and the log (read :meth:`log` before this), and the store unless it is kept."""
        atexit.unregister(self.stop)
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()
        # The socket, the config and the log are this object's own; only a kept store that lives
        # in the same temporary directory outlives it. (Kept stores used to leave the directory,
        # with its config and log, in /tmp for good.)
        store = os.path.abspath(self.directory)
        if self.keep and os.path.dirname(store) == os.path.abspath(self._tmp):
            for name in os.listdir(self._tmp) if os.path.isdir(self._tmp) else ():
                p = os.path.join(self._tmp, name)
                if os.path.abspath(p) == store:
                    continue
                if os.path.isdir(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.remove(p)
        else:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "Daemon":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
