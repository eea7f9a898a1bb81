"""Real hashserver, seamless-database and jobserver processes for tests, on loopback, free ports.

Plain context managers (:func:`run_hashserver`, :func:`run_database`, :func:`run_jobserver`)
start the real server binaries, wait until ``/healthcheck`` answers, and stop them (SIGTERM, then
kill) on exit. The pytest fixtures built on them live in :mod:`seamless_testing.plugin`, which
pytest loads in every tox environment (the ``pytest11`` entry point of the unpublished
``seamless-testing`` package under ``common/testing``); tests and benchmarks import the helpers
from here::

    from seamless_testing.servers import run_hashserver, stop_launched_services
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "JobserverHandle",
    "ServerHandle",
    "ServerStartError",
    "find_server_binary",
    "free_port",
    "private_home_env",
    "remote_clients_dict",
    "run_database",
    "run_hashserver",
    "run_jobserver",
    "stop_launched_services",
    "wait_for_exit",
]

LOOPBACK = "127.0.0.1"
#: servers exit by themselves after this many idle seconds, so a killed test run leaks nothing.
DEFAULT_IDLE_TIMEOUT = 3600.0
_START_ATTEMPTS = 3


class ServerStartError(RuntimeError):
    """A test server did not become healthy; the message holds the command and log tail."""


def find_server_binary(name: str) -> str:
    """The path of a console script: next to ``sys.executable`` first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name!r} is neither next to {sys.executable} nor on PATH; install it "
            f"(pip install hashserver seamless-database aiofiles)"
        )
    return found


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.create_server((host, 0)) as sock:
        return sock.getsockname()[1]


def _clean_env() -> dict[str, str]:
    # HASHSERVER_DIRECTORY & co. would turn the hashserver CLI into a bare ASGI module.
    return {k: v for k, v in os.environ.items() if not k.startswith("HASHSERVER_")}


@dataclasses.dataclass
class ServerHandle:
    """One running test server; ``restart()`` keeps its port, path and data."""

    name: str
    path: Path
    port: int
    host: str
    log_path: Path
    args: tuple[str, ...]
    startup_timeout: float
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def directory(self) -> Path:
        """The buffer directory (hashserver) or the folder of the database file."""
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def argv(self) -> list[str]:
        """The full command line."""
        return [
            find_server_binary(self.name),
            str(self.path),
            "--host",
            self.host,
            "--port",
            str(self.port),
            *self.args,
        ]

    def is_running(self) -> bool:
        """True while the process is alive."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the server log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthcheck", timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            # HTTPException: another kind of server took the free port (a Dask scheduler
            # answers with a bad status line); ours then exits and start() tries a new port
            return False

    def start(self) -> None:
        """Start the process and wait until ``/healthcheck`` answers 200."""
        if self.is_running():
            raise ServerStartError(f"{self.name} on port {self.port} is already running")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._healthy():
                return
            time.sleep(0.05)
        code = self.process.poll()
        self.stop()
        state = f"exited with code {code}" if code is not None else "did not answer in time"
        raise ServerStartError(
            f"{self.name} {state} (/healthcheck on {self.url}, "
            f"{self.startup_timeout:g} s deadline)\ncommand: {' '.join(self.argv)}\n"
            f"log {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL. Idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self, *, attempts: int = 20) -> None:
        """Stop and start again on the same port (retrying while the port is released)."""
        self.stop()
        for attempt in range(attempts):
            try:
                self.start()
                return
            except ServerStartError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.25)


def wait_for_exit(pid: int, timeout: float) -> bool:
    """True once ``pid`` is gone or a zombie, polling up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


def private_home_env(home: Path) -> dict[str, str]:
    """The environment for a process that launches services with ``HOME=home``: no
    ``SEAMLESS_*`` settings, no launcher directory override, this Python's scripts on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMLESS_")}
    env.pop("REMOTE_HTTP_LAUNCHER_DIR", None)
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def stop_launched_services(
    home: Path, keys: Sequence[str] | None = None, *, timeout: float = 20.0
) -> list[str]:
    """Stop services that remote-http-launcher started with ``HOME=home`` and wait for them.

    Reads the PIDs from the launcher's state files (all of them, or those of ``keys``), sends
    SIGTERM, waits up to ``timeout`` seconds, then SIGKILL. Returns the keys found.
    """
    state_dir = Path(home) / ".remote-http-launcher" / "server"
    states = sorted(state_dir.glob("*.json")) if state_dir.is_dir() else []
    found = []
    for state in states:
        if keys is not None and state.stem not in keys:
            continue
        found.append(state.stem)
        pid = json.loads(state.read_text()).get("pid")
        if not pid:
            continue
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not wait_for_exit(int(pid), timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    return found


@contextlib.contextmanager
def _run(
    name: str,
    path: Path,
    args: Sequence[str],
    *,
    host: str,
    port: int | None,
    log_path: Path | None,
    startup_timeout: float,
) -> Iterator[ServerHandle]:
    with contextlib.ExitStack() as stack:
        if log_path is None:
            logdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{name}-")))
            log_path = logdir / f"{name}.log"
        handle = ServerHandle(
            name=name,
            path=path,
            port=port or free_port(host),
            host=host,
            log_path=Path(log_path),
            args=tuple(args),
            startup_timeout=startup_timeout,
        )
        stack.callback(handle.stop)
        attempts = 1 if port else _START_ATTEMPTS
        for attempt in range(attempts):
            try:
                handle.start()
                break
            except ServerStartError:
                if attempt == attempts - 1:
                    raise
                handle.port = free_port(host)  # lost a race for the free port
        yield handle


def _common_args(writable: bool, idle_timeout: float | None) -> list[str]:
    args = ["--writable"] if writable else []
    if idle_timeout is not None:
        args += ["--timeout", f"{idle_timeout:g}"]
    return args


@contextlib.contextmanager
def run_hashserver(
    directory: str | os.PathLike[str],
    *,
    writable: bool = True,
    host: str = LOOPBACK,
    port: int | None = None,
    log_path: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    extra_args: Sequence[str] = (),
) -> Iterator[ServerHandle]:
    """Run ``hashserver DIRECTORY [--writable] --host H --port P`` for the ``with`` block.

    The directory is created if needed. ``port=None`` picks a free one.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    args = [*_common_args(writable, idle_timeout), *extra_args]
    with _run(
        "hashserver",
        path,
        args,
        host=host,
        port=port,
        log_path=None if log_path is None else Path(log_path),
        startup_timeout=startup_timeout,
    ) as handle:
        yield handle


@contextlib.contextmanager
def run_database(
    path: str | os.PathLike[str],
    *,
    writable: bool = True,
    host: str = LOOPBACK,
    port: int | None = None,
    log_path: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    extra_args: Sequence[str] = (),
) -> Iterator[ServerHandle]:
    """Run ``seamless-database FILE [--writable] --host H --port P`` for the ``with`` block.

    Writable mode creates the SQLite file; read-only mode needs it to exist.
    """
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    args = [*_common_args(writable, idle_timeout), *extra_args]
    with _run(
        "seamless-database",
        file,
        args,
        host=host,
        port=port,
        log_path=None if log_path is None else Path(log_path),
        startup_timeout=startup_timeout,
    ) as handle:
        yield handle


@dataclasses.dataclass
class JobserverHandle(ServerHandle):
    """A running ``seamless-jobserver``; ``path`` is its status file, whose ``parameters``
    (the remote-clients dict) are written before every start."""

    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        """The full command line."""
        return [
            find_server_binary(self.name),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--status-file",
            str(self.path),
            *self.args,
        ]

    def start(self) -> None:
        """Write the status file as remote-http-launcher does, then start and wait."""
        self.path.write_text(
            json.dumps({"status": "starting", "parameters": self.parameters}), encoding="utf-8"
        )
        super().start()


@contextlib.contextmanager
def run_jobserver(
    remote_clients: dict[str, Any] | None = None,
    *,
    workers: int = 1,
    host: str = LOOPBACK,
    port: int | None = None,
    log_path: str | os.PathLike[str] | None = None,
    startup_timeout: float = 90.0,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    extra_args: Sequence[str] = (),
) -> Iterator[JobserverHandle]:
    """Run ``seamless-jobserver --workers N --status-file F`` for the ``with`` block.

    ``remote_clients`` (see :func:`remote_clients_dict`) become the status file's parameters.
    """
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jobserver-")))
        args = ["--workers", str(workers)]
        if idle_timeout is not None:
            args += ["--timeout", f"{idle_timeout:g}"]
        handle = JobserverHandle(
            name="seamless-jobserver",
            path=workdir / "status.json",
            port=port or free_port(host),
            host=host,
            log_path=Path(log_path) if log_path is not None else workdir / "jobserver.log",
            args=(*args, *extra_args),
            startup_timeout=startup_timeout,
            parameters=dict(remote_clients or {}),
        )
        stack.callback(handle.stop)
        attempts = 1 if port else _START_ATTEMPTS
        for attempt in range(attempts):
            try:
                handle.start()
                break
            except ServerStartError:
                if attempt == attempts - 1:
                    raise
                handle.port = free_port(host)
        yield handle


def remote_clients_dict(
    hashserver: ServerHandle,
    database: ServerHandle,
    *,
    readonly: bool = False,
    directory: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """The remote-clients dict for one hashserver and one database; ``directory``: the buffer
    entry also names the hashserver's directory (reads and writes then take the local fast
    path, as for SEAMLESS_CACHE and local clusters)."""
    buffer: dict[str, Any] = {"url": hashserver.url, "readonly": readonly}
    if directory:
        buffer["directory"] = str(hashserver.directory)
    return {
        "buffer": [buffer],
        "database": [{"url": database.url, "readonly": readonly}],
    }
