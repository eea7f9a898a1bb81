"""Launching services through remote-http-launcher: one launch at a time per service key.

Every launch of this stack (hashserver, database, jobserver, daskserver, pure daskserver)
goes through :func:`launch`:

- **One set of services per key.** A launch holds a lock for its launch key: a thread lock
  within the process and an ``fcntl.flock`` on ``<launcher dir>/locks/<key>.lock`` across
  processes. Whoever waited for the lock then finds the service running and reuses it (the
  launcher's own reconnect), so eight processes started at once on one ``SEAMLESS_CACHE``
  share one hashserver and one database. A thread that waited while another thread of this
  process (re)launched the same service takes that result instead of relaunching.
- **A venv works without activation.** For local launches the ``rhl-*`` helpers and the
  service executable are looked up next to ``sys.executable`` first, then on ``PATH``; the
  interpreter's directory is put first on ``PATH`` for the launch. When a command is in
  neither place, :class:`~seamless_config.errors.LaunchError` names it and the fix.
- **A server that dies right after reporting "running" is launched again.** hashserver and
  seamless-database pick a random free port, report "running" from their startup hook and only
  then bind; when another process takes the port in between, the server exits and the
  launcher's port check fails. :data:`LAUNCH_ATTEMPTS` launches are tried (the launcher clears
  the dead server's state on the next attempt) before :class:`LaunchError` is raised.
- **Owner-only folders.** The launcher folders and the service directories that a launch
  creates are made ``0700`` (the hashserver and the database have no authentication).

fcntl is used rather than a lock package: Seamless runs on POSIX systems only (the launcher
drives bash), and a file lock of a dozen lines needs no extra dependency.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LaunchError
from .registries import register_registry

__all__ = [
    "LAUNCH_ATTEMPTS",
    "LOCK_TIMEOUT",
    "LaunchRegistry",
    "RHL_HELPERS",
    "find_command",
    "get_launch_registry",
    "launch",
    "launch_key",
    "launcher_directory",
    "make_private_dirs",
]

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = 900.0
"""Seconds to wait for another process's launch of the same service before giving up."""

LAUNCH_ATTEMPTS = 3
"""remote_http_launcher.run calls per launch before a LauncherError becomes a LaunchError."""

RHL_HELPERS = (
    "rhl-inspect",
    "rhl-launch-service",
    "rhl-verify-port",
    "rhl-handshake",
    "rhl-rm",
    "rhl-pid-alive",
    "rhl-stop",
)
"""remote-http-launcher's helper commands that a local launch runs."""

_PACKAGES = {
    "hashserver": "hashserver aiofiles",
    "seamless-database": "seamless-database",
    "seamless-dask-wrapper": "'seamless-dask[remote]'",
    "seamless-jobserver": "seamless-jobserver",
}


@dataclass
class LaunchRegistry:
    """Launch payloads memoised per launch dict, and the per-key thread locks."""

    payloads: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    thread_locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)
    path_users: int = 0
    saved_path: str | None = None

    def reset(self) -> None:
        with self.guard:
            self.payloads.clear()
            self.thread_locks.clear()

    def thread_lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.thread_locks.setdefault(key, threading.Lock())


_launch_registry = register_registry("seamless_config.launching", LaunchRegistry())


def get_launch_registry() -> LaunchRegistry:
    """The process-wide launch registry."""
    return _launch_registry


def launcher_directory() -> Path:
    """remote-http-launcher's state directory on this machine (``$REMOTE_HTTP_LAUNCHER_DIR``)."""
    base = os.environ.get("REMOTE_HTTP_LAUNCHER_DIR")
    if base:
        return Path(base).expanduser()
    return Path(os.environ.get("HOME", os.path.expanduser("~"))) / ".remote-http-launcher"


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents owner-only (0700); existing ones are left alone."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=0o700)
            directory.chmod(0o700)


def launch_key(conf: dict[str, Any]) -> str:
    """The launcher's evaluated key of a launch dict (LaunchError if the launcher refuses it)."""
    import remote_http_launcher

    config = {k: v for k, v in conf.items() if k not in ("log_file", "debug_log_file")}
    try:
        return remote_http_launcher.Configuration.from_mapping(config).key
    except remote_http_launcher.LauncherError as exc:
        meta = conf.get("meta")
        service = meta.get("service") if isinstance(meta, dict) else None
        # not the key: it is still an unevaluated template here
        raise LaunchError(
            f"remote-http-launcher refuses the launch dict: {exc}",
            key=None if service is None else f"service {service!r}",
            hint="Nothing was launched; check the configuration values of this service",
        ) from None


def find_command(name: str) -> str | None:
    """``name`` next to the running interpreter (an unactivated venv), else on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _service_executable(conf: dict[str, Any]) -> str | None:
    command = conf.get("command")
    if not isinstance(command, str):
        return None
    head = command.split("{", 1)[0].split()
    return head[0] if head else None


def _check_commands(conf: dict[str, Any], key: str) -> None:
    """Local launches: every command the launch runs must be found; say how to fix it if not."""
    needed = list(RHL_HELPERS)
    executable = _service_executable(conf)
    if executable is not None and not conf.get("conda"):
        needed.append(executable)
    missing = [name for name in needed if find_command(name) is None]
    if not missing:
        return
    bindir = Path(sys.executable).parent
    fixes = []
    if any(name.startswith("rhl-") for name in missing):
        fixes.append(f"pip install remote-http-launcher (into {sys.prefix})")
    for name in missing:
        if name in _PACKAGES:
            fixes.append(f"pip install {_PACKAGES[name]} (into {sys.prefix})")
    raise LaunchError(
        f"cannot launch service {key!r}: command(s) {', '.join(missing)} found neither next to "
        f"{sys.executable} nor on PATH",
        key="launch",
        hint="Install what is missing: "
        + "; ".join(fixes)
        + f", or put the directory that holds them on PATH (this interpreter's is {bindir})",
    )


@contextlib.contextmanager
def _interpreter_first_on_path() -> Iterator[None]:
    """Put the running interpreter's directory first on PATH while any launch runs."""
    registry = _launch_registry
    bindir = str(Path(sys.executable).parent)
    with registry.guard:
        if registry.path_users == 0:
            registry.saved_path = os.environ.get("PATH")
            parts = [p for p in (registry.saved_path or "").split(os.pathsep) if p]
            os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])
        registry.path_users += 1
    try:
        yield
    finally:
        with registry.guard:
            registry.path_users -= 1
            if registry.path_users == 0:
                if registry.saved_path is None:
                    os.environ.pop("PATH", None)
                else:
                    os.environ["PATH"] = registry.saved_path
                registry.saved_path = None


@contextlib.contextmanager
def _file_lock(key: str, *, timeout: float) -> Iterator[None]:
    directory = launcher_directory() / "locks"
    make_private_dirs(directory)
    path = directory / f"{key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    logger.info("waiting for another process that launches %s", key)
                    waited = True
                if time.monotonic() > deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise LaunchError(
                        f"service {key!r} is still being launched by another process "
                        f"(pid {holder}) after {timeout:.0f} s",
                        key="launch",
                        value=str(path),
                        hint="If that process is gone, remove the lock file and try again",
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _prepare_directories(conf: dict[str, Any], *, local: bool) -> None:
    """The launcher's folders (always local) and, for a local launch, the service's workdir."""
    root = launcher_directory()
    for directory in (root, root / "client", root / "server", root / "logs", root / "locks"):
        make_private_dirs(directory)
    workdir = conf.get("workdir")
    if local and isinstance(workdir, str) and "{" not in workdir:
        make_private_dirs(Path(workdir).expanduser())


def launch(
    conf: dict[str, Any], *, fresh: bool = False, lock_timeout: float = LOCK_TIMEOUT
) -> dict[str, Any]:
    """``remote_http_launcher.run(conf)`` under the launch lock of its key; memoised per dict.

    With ``fresh`` the memo is bypassed (the service went away), unless another thread of this
    process launched the same dict while this one waited for the lock.
    """

    frozen = json.dumps(conf, sort_keys=True, default=str)
    registry = _launch_registry
    cached = registry.payloads.get(frozen)
    if cached is not None and not fresh:
        return cached[1]
    asked = time.monotonic()
    key = launch_key(conf)
    local = "hostname" not in conf
    with registry.thread_lock(key), _file_lock(key, timeout=lock_timeout):
        cached = registry.payloads.get(frozen)
        if cached is not None and (not fresh or cached[0] >= asked):
            return cached[1]
        if local:
            _check_commands(conf, key)
        _prepare_directories(conf, local=local)
        payload = _run_launcher(conf, key, local=local)
        registry.payloads[frozen] = (time.monotonic(), payload)
        return payload


def _run_launcher(conf: dict[str, Any], key: str, *, local: bool) -> dict[str, Any]:
    """``remote_http_launcher.run`` with up to :data:`LAUNCH_ATTEMPTS` tries (module docstring)."""
    import remote_http_launcher

    errors: list[str] = []
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            with _interpreter_first_on_path() if local else contextlib.nullcontext():
                return remote_http_launcher.run(dict(conf))
        except remote_http_launcher.LauncherError as exc:
            errors.append(str(exc))
            if attempt < LAUNCH_ATTEMPTS:
                logger.warning(
                    "launch of service %r failed (attempt %d of %d), trying again: %s",
                    key,
                    attempt,
                    LAUNCH_ATTEMPTS,
                    exc,
                )
    raise LaunchError(
        f"could not launch or reconnect service {key!r} "
        f"({LAUNCH_ATTEMPTS} attempts): {'; '.join(errors)}"
    )
