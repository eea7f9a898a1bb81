"""Cross-process "computed once": a lock per transformation checksum in the SEAMLESS_CACHE folder.

Processes sharing a ``SEAMLESS_CACHE`` share its database, so a result computed by one is a cache
hit for the others; but processes that start the same transformation at the same moment would
each compute it. Before executing, a process takes an exclusive ``flock`` on
``SEAMLESS_CACHE/.transformation-locks/<checksum>.lock``; a process that finds it taken waits
(polling, so that cancellation and Ctrl-C work), then asks the database again and gets the
result the first one stored.

Robust against stale locks: ``flock`` locks belong to the open file and the kernel drops them
when the process dies, however it dies, so a killed process never blocks the others. The lock
file is removed by its holder before release; a waiter that locked a file that was meanwhile
removed sees that (inode check) and tries again. Only for SEAMLESS_CACHE (one machine, a
local folder); clusters with shared databases have no such lock. Not on Windows (no fcntl).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from seamless import Checksum

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no module on Windows: None means "no lock"

__all__ = ["LOCK_FOLDER", "lock_directory", "transformation_lock"]

LOCK_FOLDER = ".transformation-locks"

#: Longest pause between two attempts to take a lock held by another process (seconds).
MAX_POLL_INTERVAL = 0.2


def lock_directory() -> str | None:
    """Where the locks live: under SEAMLESS_CACHE when its cluster is selected, else None."""
    if fcntl is None:
        return None
    try:
        from seamless_config import select
        from seamless_config.seamless_cache import SEAMLESS_CACHE_CLUSTER, get_seamless_cache
    except ImportError:
        return None
    directory = get_seamless_cache()
    if directory is None or select.get_selected_cluster() != SEAMLESS_CACHE_CLUSTER:
        return None
    return os.path.join(directory, LOCK_FOLDER)


async def _acquire(path: str) -> int:
    """Take the lock at ``path``; the open descriptor that holds it."""
    assert fcntl is not None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    delay = 0.01
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            await asyncio.sleep(delay)
            delay = min(2 * delay, MAX_POLL_INTERVAL)
            continue
        except BaseException:
            os.close(fd)
            raise
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            return fd
        os.close(fd)  # the previous holder removed this file: lock the one now at ``path``


def _release(path: str, fd: int) -> None:
    try:
        os.unlink(path)  # still held: nobody else can hold this file now
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)  # drops the lock


@contextlib.asynccontextmanager
async def transformation_lock(tf_checksum: Checksum) -> AsyncIterator[bool]:
    """Hold the cross-process lock of ``tf_checksum``; yields False when there is none to hold."""
    directory = lock_directory()
    if directory is None:
        yield False
        return
    path = os.path.join(directory, tf_checksum.hex() + ".lock")
    fd = await _acquire(path)
    try:
        yield True
    finally:
        _release(path, fd)
