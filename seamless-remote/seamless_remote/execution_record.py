"""The minimal execution record written next to a transformation result (record mode off).

Its keys are exactly those of Seamless 1.x minimal records, so both implementations read
each other's records.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from seamless import Checksum

__all__ = ["MINIMAL_RECORD_KEYS", "SCHEMA_VERSION", "minimal_execution_record"]

SCHEMA_VERSION = 1

MINIMAL_RECORD_KEYS = (
    "schema_version",
    "tf_checksum",
    "result_checksum",
    "seamless_version",
    "execution_mode",
    "remote_target",
    "wall_time_seconds",
    "cpu_time_user_seconds",
    "cpu_time_system_seconds",
    "memory_peak_bytes",
    "gpu_memory_peak_bytes",
)


def _seamless_version() -> str | None:
    try:
        return metadata.version("seamless-core")
    except metadata.PackageNotFoundError:
        return None


def minimal_execution_record(
    tf_checksum: Checksum | str,
    result_checksum: Checksum | str,
    *,
    remote_target: str | None,
    execution_mode: str = "remote",
    wall_time_seconds: float | None = None,
    cpu_time_user_seconds: float | None = None,
    cpu_time_system_seconds: float | None = None,
    memory_peak_bytes: int | None = None,
    gpu_memory_peak_bytes: int | None = None,
) -> dict[str, Any]:
    """A minimal record for `set_execution_record` (the database checks the checksums)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tf_checksum": Checksum(tf_checksum).hex(),
        "result_checksum": Checksum(result_checksum).hex(),
        "seamless_version": _seamless_version(),
        "execution_mode": execution_mode,
        "remote_target": remote_target,
        "wall_time_seconds": wall_time_seconds,
        "cpu_time_user_seconds": cpu_time_user_seconds,
        "cpu_time_system_seconds": cpu_time_system_seconds,
        "memory_peak_bytes": memory_peak_bytes,
        "gpu_memory_peak_bytes": gpu_memory_peak_bytes,
    }
