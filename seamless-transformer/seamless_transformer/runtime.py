"""Measuring one execution: wall time, CPU time and peak memory (the 1.x ``record_runtime``).

``RuntimeMeter`` is started before the code runs and stopped after it, in the process that
runs it (a spawned worker, a Dask worker, the jobserver's workers). The dict it returns has the
keys of Seamless 1.x's ``record_runtime``; :func:`record_fields` maps it onto the minimal
execution record's field names.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from datetime import UTC, datetime
from typing import Any

__all__ = ["RUNTIME_KEYS", "RuntimeMeter", "record_fields"]

RUNTIME_KEYS = (
    "started_at",
    "finished_at",
    "wall_time_seconds",
    "cpu_user_seconds",
    "cpu_system_seconds",
    "memory_peak_bytes",
    "gpu_memory_peak_bytes",
    "hostname",
    "pid",
)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _cpu() -> tuple[float, float]:
    """User and system CPU seconds of this process and its finished children (bash)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime


def _peak_rss_bytes() -> int:
    """Peak resident memory of this process (or its largest child), in bytes (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


class RuntimeMeter:
    """Measures from construction to :meth:`stop`.

    CPU time is the whole process's, so it is exact when the process runs one job at a time
    (spawned workers, the jobserver's workers) and an upper bound otherwise. Peak memory is
    the process's peak so far, as in 1.x.
    """

    def __init__(self) -> None:
        self.started_at = _now_iso()
        self._wall = time.perf_counter()
        self._user, self._system = _cpu()

    def stop(self) -> dict[str, Any]:
        """The ``record_runtime`` dict."""
        wall = time.perf_counter() - self._wall
        user, system = _cpu()
        return {
            "started_at": self.started_at,
            "finished_at": _now_iso(),
            "wall_time_seconds": wall,
            "cpu_user_seconds": max(user - self._user, 0.0),
            "cpu_system_seconds": max(system - self._system, 0.0),
            "memory_peak_bytes": _peak_rss_bytes(),
            "gpu_memory_peak_bytes": None,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
        }


def record_fields(runtime: dict[str, Any] | None) -> dict[str, Any]:
    """The timing fields of a minimal execution record, from a ``record_runtime`` dict."""
    runtime = runtime or {}
    return {
        "wall_time_seconds": runtime.get("wall_time_seconds"),
        "cpu_time_user_seconds": runtime.get("cpu_user_seconds"),
        "cpu_time_system_seconds": runtime.get("cpu_system_seconds"),
        "memory_peak_bytes": runtime.get("memory_peak_bytes"),
        "gpu_memory_peak_bytes": runtime.get("gpu_memory_peak_bytes"),
    }
