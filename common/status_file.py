"""The service status-file protocol of remote-http-launcher, for our launched servers.

remote-http-launcher starts a service with ``--status-file F`` and writes
``{"status": "starting", "pid": ..., "parameters": ..., ...}`` into F, possibly slightly
after the process has started. The service then:

1. waits for F (:meth:`StatusFile.wait`) and reads its ``parameters``;
2. picks its ports (:func:`select_ports`: ``--port``, or free ports from ``--port-range``);
3. once it listens, rewrites F atomically with every key kept plus ``"status": "running"``,
   ``"port"`` and extra ports such as ``"dashboard_port"`` (:meth:`StatusFile.write_running`),
   or ``"status": "failed"`` and ``"error"`` when startup fails (:meth:`StatusFile.write_failed`);
4. serves until :class:`Shutdown` is requested: by SIGINT/SIGTERM/SIGHUP
   (:meth:`Shutdown.install_signal_handlers`) or by ``--timeout`` seconds without activity
   (:class:`InactivityMonitor`);
5. on a clean shutdown removes F if it had written "running", else marks it "failed"
   (:meth:`StatusFile.finish`), as the Seamless 1.x Dask wrapper does.

Standard library only: this module is mirrored by tools/sync.py into seamless-dask
(``seamless_dask._status_file``) and seamless-jobserver (``seamless_jobserver._status_file``).

Errors::

    StatusFileError (RuntimeError)   the status file is missing, unreadable or not an object
    PortSelectionError (ValueError)  bad --port/--port-range, or no free port in the range
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_HOST",
    "InactivityMonitor",
    "PortSelectionError",
    "STATUS_FILE_WAIT_TIMEOUT",
    "Shutdown",
    "StatusFile",
    "StatusFileError",
    "add_service_arguments",
    "is_port_bindable",
    "pick_free_ports",
    "positive_float",
    "select_ports",
    "write_json_atomic",
]

DEFAULT_HOST = "127.0.0.1"
#: seconds to wait for the launcher's status file (the launcher writes it after spawning us).
STATUS_FILE_WAIT_TIMEOUT = 20.0
_SHUTDOWN_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class StatusFileError(RuntimeError):
    """The status file is missing, is not valid JSON, or is not a JSON object."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"Status file '{self.path}': {problem}")


class PortSelectionError(ValueError):
    """The port options are invalid, or no port in the range can be bound."""


# ---------------------------------------------------------------------------- arguments


def positive_float(text: str) -> float:
    """argparse type for ``--timeout``: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0 seconds, got {text!r}")
    return value


def _port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {value}")
    return value


def add_service_arguments(
    parser: argparse.ArgumentParser,
    *,
    default_host: str = DEFAULT_HOST,
    port_range_required: bool = False,
    status_file_required: bool = False,
) -> None:
    """Add ``--port``/``--port-range START END``, ``--host``, ``--status-file``, ``--timeout``.

    Parsed names: ``port`` (int or None), ``port_range`` ([start, end] or None), ``host``,
    ``status_file`` (str or None), ``timeout`` (float seconds of inactivity, or None).
    """
    ports = parser.add_mutually_exclusive_group(required=port_range_required)
    if not port_range_required:
        ports.add_argument("--port", type=_port_number, help="listen on this port")
    ports.add_argument(
        "--port-range",
        nargs=2,
        type=_port_number,
        metavar=("START", "END"),
        help="pick free ports at random from START..END (inclusive)",
    )
    parser.add_argument(
        "--host", default=default_host, help=f"interface to bind (default {default_host})"
    )
    parser.add_argument(
        "--status-file",
        required=status_file_required,
        help="JSON status file written by remote-http-launcher; rewritten with the ports",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        help="shut down after this many seconds without activity (default: never)",
    )


# ---------------------------------------------------------------------------- ports


def is_port_bindable(host: str, port: int) -> bool:
    """True when a TCP server socket can bind ``host:port`` right now."""
    try:
        with socket.create_server((host, port)):
            return True
    except OSError:
        return False


def pick_free_ports(
    count: int = 1,
    *,
    host: str = DEFAULT_HOST,
    port_range: tuple[int, int] | None = None,
    exclude: Iterable[int] = (),
) -> list[int]:
    """``count`` distinct ports that can be bound on ``host``.

    With ``port_range`` (inclusive), ports are tried in random order within it; without,
    the operating system assigns them. Raises :class:`PortSelectionError` when the range
    holds fewer than ``count`` bindable ports.
    """
    if count < 1:
        raise PortSelectionError(f"count must be at least 1, got {count}")
    excluded = set(exclude)
    if port_range is None:
        with contextlib.ExitStack() as stack:
            chosen: list[int] = []
            while len(chosen) < count:
                sock = stack.enter_context(socket.create_server((host, 0)))
                port = sock.getsockname()[1]
                if port not in excluded:
                    chosen.append(port)
            return chosen
    start, end = port_range
    if not 0 < start <= end < 65536:
        raise PortSelectionError(f"--port-range {start} {end}: need 1 <= START <= END <= 65535")
    candidates = [p for p in range(start, end + 1) if p not in excluded]
    random.shuffle(candidates)
    chosen = []
    for port in candidates:
        if is_port_bindable(host, port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise PortSelectionError(
        f"--port-range {start} {end}: found {len(chosen)} free port(s) on {host}, "
        f"need {count}; widen the range or stop the services using it"
    )


def select_ports(args: argparse.Namespace, *, count: int = 1) -> list[int]:
    """The ``count`` ports to listen on, from the parsed :func:`add_service_arguments`.

    ``--port P`` gives P first (the others are free ports); ``--port-range`` picks all of
    them from the range; neither lets the operating system choose.
    """
    host = getattr(args, "host", DEFAULT_HOST)
    port = getattr(args, "port", None)
    port_range = getattr(args, "port_range", None)
    if port is not None:
        if not is_port_bindable(host, port):
            raise PortSelectionError(f"--port {port}: cannot bind {host}:{port} (in use?)")
        rest = pick_free_ports(count - 1, host=host, exclude={port}) if count > 1 else []
        return [port, *rest]
    if port_range is not None:
        return pick_free_ports(count, host=host, port_range=(port_range[0], port_range[1]))
    return pick_free_ports(count, host=host)


# ---------------------------------------------------------------------------- the file


def write_json_atomic(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> None:
    """Write ``payload`` as JSON to ``path`` atomically (temp file in the same dir + rename)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(dict(payload), stream)
            stream.write("\n")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class StatusFile:
    """One service's status file: the launcher's contents, and our updates to it."""

    def __init__(self, path: str | os.PathLike[str], contents: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self._contents = dict(contents)
        self._lock = threading.Lock()
        self.running_written = False
        self.finished = False

    @classmethod
    def wait(
        cls,
        path: str | os.PathLike[str],
        *,
        timeout: float = STATUS_FILE_WAIT_TIMEOUT,
        poll_interval: float = 0.1,
    ) -> StatusFile:
        """Wait up to ``timeout`` seconds for the launcher to write ``path``, then read it.

        Raises :class:`StatusFileError` if it never appears, or is not a JSON object.
        An empty or half-written file is retried until the deadline.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = Path(path).read_text(encoding="utf-8")
                contents = json.loads(text)
                break
            except FileNotFoundError:
                problem = f"not found after {timeout:g} seconds"
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON ({exc})"
            if time.monotonic() >= deadline:
                raise StatusFileError(path, problem)
            time.sleep(poll_interval)
        if not isinstance(contents, dict):
            raise StatusFileError(path, f"must hold a JSON object, not {type(contents).__name__}")
        return cls(path, contents)

    @property
    def contents(self) -> dict[str, Any]:
        """A copy of the current contents (the launcher's keys plus ours)."""
        with self._lock:
            return dict(self._contents)

    @property
    def parameters(self) -> dict[str, Any]:
        """The launcher's ``parameters`` (its ``file_parameters``), or ``{}``."""
        value = self.contents.get("parameters")
        return dict(value) if isinstance(value, dict) else {}

    def _update(self, **changes: Any) -> None:
        with self._lock:
            payload = {**self._contents, **changes}
            write_json_atomic(self.path, payload)
            self._contents = payload

    def write_running(self, port: int, **extra_ports: int) -> None:
        """Mark the service running on ``port``; extra ports are named ``*_port``.

        Example: ``write_running(8786, dashboard_port=8787)``. The launcher forwards every
        top-level ``*_port`` key to its clients.
        """
        ports: dict[str, object] = {"port": port, **extra_ports}  # checked: callers vary
        for name, value in ports.items():
            if name != "port" and not name.endswith("_port"):
                raise ValueError(f"extra port {name!r} must be named like 'dashboard_port'")
            if not isinstance(value, int) or not 0 < value < 65536:
                raise ValueError(f"{name}={value!r} is not a port number")
        self._update(status="running", port=port, **extra_ports)
        self.running_written = True

    def write_failed(self, error: str) -> None:
        """Mark the service failed, with ``error`` saying why (key ``"error"``)."""
        self._update(status="failed", error=error)

    def finish(self) -> None:
        """Clean shutdown: remove the file if "running" was written, else mark it failed.

        Idempotent. A file the launcher already replaced or removed is left alone.
        """
        if self.finished:
            return
        self.finished = True
        if self.running_written:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        else:
            self.write_failed("shut down before the service was running")


# ---------------------------------------------------------------------------- shutdown


class Shutdown:
    """A one-shot shutdown request, safe to set from threads and signal handlers.

    Wait for it with :meth:`wait` (blocking, from a thread) or :meth:`wait_async` (from
    asyncio). The first :meth:`request` wins and its ``reason`` is kept.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.reason: str | None = None

    @property
    def requested(self) -> bool:
        """True once shutdown has been requested."""
        return self._event.is_set()

    def request(self, reason: str) -> None:
        """Request shutdown (the first reason is kept); wakes every waiter."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until shutdown is requested (or ``timeout``); True if it was."""
        return self._event.wait(timeout)

    async def wait_async(self) -> str:
        """Wait, without blocking the event loop, until shutdown is requested; the reason."""
        event = asyncio.Event()
        with self._lock:
            if not self._event.is_set():
                self._waiters.append((asyncio.get_running_loop(), event))
            else:
                event.set()
        await event.wait()
        return self.reason or ""

    def install_signal_handlers(
        self, signals: Iterable[str] = _SHUTDOWN_SIGNALS
    ) -> Callable[[], None]:
        """Make SIGINT/SIGTERM/SIGHUP request shutdown; returns a function that restores.

        Call from the main thread. The handler hands the request to a short-lived thread so
        that it never re-enters a lock the interrupted code holds.
        """
        previous: dict[int, Any] = {}

        def handler(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            threading.Thread(target=self.request, args=(f"signal {name}",), daemon=True).start()

        for name in signals:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous[signum] = signal.signal(signum, handler)

        def restore() -> None:
            for signum, old in previous.items():
                signal.signal(signum, old)

        return restore


class InactivityMonitor:
    """Tracks activity; expires after ``timeout`` seconds without any.

    Call :meth:`touch` on every request, or hold :meth:`busy` while work runs (a busy
    service never expires). ``timeout=None`` never expires. Thread-safe.
    """

    def __init__(self, timeout: float | None, *, clock: Callable[[], float] = time.monotonic):
        if timeout is not None and not timeout > 0:
            raise ValueError(f"--timeout must be greater than 0 seconds, got {timeout!r}")
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._busy = 0

    def touch(self) -> None:
        """Record activity now."""
        with self._lock:
            self._last = self._clock()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Count as active for as long as the block runs."""
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._last = self._clock()

    def idle_seconds(self) -> float:
        """Seconds since the last activity (0 while busy)."""
        with self._lock:
            return 0.0 if self._busy else max(0.0, self._clock() - self._last)

    def remaining(self) -> float | None:
        """Seconds until expiry if nothing happens (None without a timeout)."""
        if self.timeout is None:
            return None
        return max(0.0, self.timeout - self.idle_seconds())

    @property
    def expired(self) -> bool:
        """True when ``timeout`` seconds passed without activity."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def _sleep_for(self, max_poll: float) -> float:
        remaining = self.remaining()
        return max_poll if remaining is None else min(max(remaining, 0.01), max_poll)

    async def wait_expired(self, *, max_poll: float = 1.0) -> None:
        """Return (from asyncio) once the monitor has expired; never without a timeout."""
        while not self.expired:
            await asyncio.sleep(self._sleep_for(max_poll))

    def wait_expired_blocking(self, shutdown: Shutdown, *, max_poll: float = 1.0) -> bool:
        """Block until expiry (True) or until ``shutdown`` is requested otherwise (False)."""
        while not self.expired:
            if shutdown.wait(self._sleep_for(max_poll)):
                return False
        return True

    def watch(self, shutdown: Shutdown, *, max_poll: float = 1.0) -> threading.Thread:
        """Start a daemon thread that requests ``shutdown`` when the monitor expires."""

        def run() -> None:
            if self.wait_expired_blocking(shutdown, max_poll=max_poll):
                shutdown.request(f"no activity for {self.timeout:g} seconds")

        thread = threading.Thread(target=run, name="inactivity-monitor", daemon=True)
        thread.start()
        return thread

    async def watch_async(self, shutdown: Shutdown, *, max_poll: float = 1.0) -> None:
        """Request ``shutdown`` when the monitor expires (run it as an asyncio task)."""
        await self.wait_expired(max_poll=max_poll)
        shutdown.request(f"no activity for {self.timeout:g} seconds")
