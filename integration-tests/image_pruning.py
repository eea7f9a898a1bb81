"""Removing old ``seamless-it/*`` image tags, without taking one from a run that uses it.

Every change to the library builds a new ``seamless-it/stack`` tag (and ``slurm`` on top), so
tags pile up. After a run has its current tag, the older tags of the same image name are
removed (``docker rmi`` of the tag) unless

- a running container uses it (``docker ps --filter ancestor=``: also containers of an image
  built on top of it),
- a test run that is still alive holds a lease on it: :func:`hold` is called for every tag a
  run is about to use, before building or reusing it (several helpers run test suites on one
  machine and engine at the same time, each with its own tree and tags),
- it was created less than ``min_age`` seconds ago (runs of older code take no leases).

A lease is a file named after the tag and the holder's PID, holding the process start time:
a dead holder (even killed by SIGKILL) or a reused PID frees it.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

#: default minimum age (seconds) of a tag before it may be removed
MIN_AGE = 6 * 3600.0


def lease_dir() -> Path:
    """Where leases live (shared by every run on the machine; SEAMLESS_IT_LEASES overrides)."""
    default = Path(tempfile.gettempdir()) / "seamless-it-images" / "leases"
    return Path(os.environ.get("SEAMLESS_IT_LEASES", default))


def _start_time(pid: int) -> str | None:
    """The start time of a live process (not a zombie), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _lease_prefix(tag: str) -> str:
    return tag.replace("/", "_").replace(":", "_") + "."


def hold(tag: str, pid: int | None = None) -> Path:
    """Lease ``tag`` for process ``pid`` (default: this one) for as long as it lives."""
    pid = os.getpid() if pid is None else pid
    start = _start_time(pid)
    if start is None:
        raise ValueError(f"process {pid} does not exist: it cannot hold {tag}")
    directory = lease_dir()
    directory.mkdir(parents=True, exist_ok=True)
    lease = directory / f"{_lease_prefix(tag)}{pid}"
    lease.write_text(start)
    return lease


def holders(tag: str) -> list[int]:
    """PIDs of the live processes that hold ``tag``; leases of dead ones are removed."""
    directory = lease_dir()
    if not directory.is_dir():
        return []
    prefix = _lease_prefix(tag)
    alive = []
    for lease in directory.iterdir():
        suffix = lease.name[len(prefix) :]
        if not lease.name.startswith(prefix) or not suffix.isdigit():
            continue
        pid = int(suffix)
        try:
            held = lease.read_text()
        except FileNotFoundError:
            continue
        if _start_time(pid) == held:
            alive.append(pid)
        else:
            lease.unlink(missing_ok=True)
    return alive


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _created(tag: str) -> datetime.datetime:
    text = _docker("image", "inspect", "--format", "{{.Created}}", tag).strip()
    # e.g. 2026-11-30T07:12:01.123456789Z (UTC): Python reads microseconds at most
    text = text[:26] if "." in text else text[:19]
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def _tags_of(repository: str) -> list[str]:
    out = _docker("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
    return [line for line in out.split() if line.startswith(f"{repository}:")]


def _running_users(tag: str) -> list[str]:
    return _docker("ps", "-q", "--filter", f"ancestor={tag}").split()


def prune_older(current: str, *, min_age: float = MIN_AGE) -> list[str]:
    """Remove the tags of ``current``'s image name that are older than ``current`` and not in
    use (see the module docstring); returns the tags removed. Failures are logged, not raised:
    pruning never fails a test run."""
    repository = current.rsplit(":", 1)[0]
    removed: list[str] = []
    try:
        newest = _created(current)
        now = datetime.datetime.now(datetime.UTC)
        for tag in _tags_of(repository):
            if tag == current:
                continue
            created = _created(tag)
            if created >= newest or (now - created).total_seconds() < min_age:
                continue
            if _running_users(tag):
                logger.info("keeping %s: a running container uses it", tag)
                continue
            if holders(tag):
                logger.info("keeping %s: a live test run holds it", tag)
                continue
            _docker("rmi", tag)
            removed.append(tag)
    except (RuntimeError, OSError, ValueError) as exc:
        logger.warning("pruning old %s tags stopped: %s", repository, exc)
    if removed:
        logger.info("removed old image tags: %s", ", ".join(removed))
    return removed
