"""Transformation results, reverse lookups and execution records through the active databases.

Reads ask the read databases in order and return the first answer; writes go to every write
database. seamless-core calls `get_rev_transformations`; seamless-config calls `activate`,
`inspect_extern_clients` and `inspect_launched_clients`. Executors (the jobserver,
seamless-dask's base task) call `write_minimal_record` after every remote execution.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from seamless import Checksum

from .client import define_extern_client
from .database_client import DatabaseClient
from .errors import RemoteHTTPError
from .execution_record import minimal_execution_record
from .launched import launch_service, relaunch
from .registry import LaunchedService, get_remote_registry

__all__ = [
    "DISABLED",
    "activate",
    "deactivate",
    "define_extern_client",
    "get_execution_record",
    "get_irreproducible_records",
    "get_rev_transformations",
    "get_transformation_result",
    "has_read_server",
    "has_write_server",
    "inspect_extern_clients",
    "inspect_launched_clients",
    "minimal_execution_record",
    "set_execution_record",
    "set_transformation_result",
    "undo_transformation_result",
    "write_minimal_record",
]

logger = logging.getLogger(__name__)

#: record-write failures of transport/storage kind: logged, never raised (as Seamless 1.x)
_BEST_EFFORT_ERRORS = (OSError, asyncio.TimeoutError, aiohttp.ClientError, RemoteHTTPError)

#: Set to True to make activate() a no-op (used by seamless-config's tests and seamless-resolve).
DISABLED = False

_VIEWS = {
    "_read_database_clients": "database_read",
    "_write_database_clients": "database_write",
}

T = TypeVar("T")


def __getattr__(name: str) -> Any:
    """Seamless 1.x attribute names, as views of the registry."""
    if name in _VIEWS:
        return getattr(get_remote_registry(), _VIEWS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def activate(
    readonly: bool = False,
    extra_launched_clients: Sequence[LaunchedService] = (),
    extern_clients: Sequence[str] = (),
    no_main: bool = False,
) -> None:
    """Rebuild the active database clients.

    Parameters
    ----------
    readonly
        Launch the main database read-only and do not write to it.
    extra_launched_clients
        Further launched databases (see `seamless_remote.launched.launch_service`).
    extern_clients
        Names given to `define_extern_client` (type "database").
    no_main
        Do not launch the database of the selected cluster/project/stage.
    """
    if DISABLED:
        return
    registry = get_remote_registry()
    definitions = [registry.get_extern(name, types=("database",)) for name in extern_clients]
    launched = list(extra_launched_clients)
    if not no_main and _cluster_selected():
        launched.insert(0, launch_service("database", readonly=readonly))
    readers, writers = [], []
    for service in launched:
        client = registry.database_client(service.url, readonly=service.readonly)
        client.reconnect = _reconnector(service)
        readers.append(client)
        if not service.readonly:
            writers.append(client)
    for definition in definitions:
        client = registry.database_client(str(definition.url), readonly=definition.readonly)
        readers.append(client)
        if not definition.readonly:
            writers.append(client)
    registry.database_read = readers
    registry.database_write = writers
    registry.database_launched = launched
    registry.database_extern = list(extern_clients)


def deactivate() -> None:
    """Use no database clients at all."""
    registry = get_remote_registry()
    registry.database_read = []
    registry.database_write = []
    registry.database_launched = []
    registry.database_extern = []


def _cluster_selected() -> bool:
    from seamless_config import select

    return select.get_selected_cluster() is not None


def _reconnector(service: LaunchedService) -> Callable[[], str]:
    return lambda: relaunch(service)


def has_read_server() -> bool:
    """True if any database is active."""
    return bool(get_remote_registry().database_read)


def has_write_server() -> bool:
    """True if any writable database is active."""
    return bool(get_remote_registry().database_write)


def inspect_extern_clients() -> list[dict[str, Any]]:
    """Remote-clients entries of the active extern databases."""
    registry = get_remote_registry()
    return [registry.extern[name].as_entry() for name in registry.database_extern]


def inspect_launched_clients() -> list[dict[str, Any]]:
    """Remote-clients entries (with "cluster") of the active launched databases."""
    return [service.as_entry() for service in get_remote_registry().database_launched]


async def _first(query: Callable[[DatabaseClient], Awaitable[T | None]]) -> T | None:
    for client in get_remote_registry().database_read:
        answer = await query(client)
        if answer is not None:
            return answer
    return None


async def _each_writer(write: Callable[[DatabaseClient], Awaitable[Any]]) -> list[Any]:
    clients = get_remote_registry().database_write
    return list(await asyncio.gather(*(write(client) for client in clients)))


async def get_transformation_result(tf_checksum: Checksum | str) -> Checksum | None:
    """The result checksum stored for a transformation checksum, or None."""
    tf = Checksum(tf_checksum).hex()
    return await _first(lambda client: client.get_transformation_result(tf))


async def set_transformation_result(
    tf_checksum: Checksum | str, result_checksum: Checksum | str
) -> bool:
    """Store a result in every write database; False if there are none."""
    tf, result = Checksum(tf_checksum).hex(), Checksum(result_checksum).hex()
    written = await _each_writer(lambda client: client.set_transformation_result(tf, result))
    return bool(written)


async def get_rev_transformations(result_checksum: Checksum | str) -> list[Checksum] | None:
    """Transformation checksums known to have produced `result_checksum`, or None."""
    result = Checksum(result_checksum).hex()
    return await _first(lambda client: client.get_rev_transformations(result))


async def get_execution_record(tf_checksum: Checksum | str) -> dict[str, Any] | None:
    """The execution record (metadata) of a transformation, or None."""
    tf = Checksum(tf_checksum).hex()
    return await _first(lambda client: client.get_execution_record(tf))


async def set_execution_record(
    tf_checksum: Checksum | str, result_checksum: Checksum | str, record: dict[str, Any]
) -> bool:
    """Store an execution record everywhere; False if none stored it (or none exist)."""
    tf, result = Checksum(tf_checksum).hex(), Checksum(result_checksum).hex()
    stored = await _each_writer(lambda client: client.set_execution_record(tf, result, record))
    return bool(stored) and all(stored)


async def get_irreproducible_records(
    tf_checksum: Checksum | str, result_checksum: Checksum | str | None = None
) -> list[dict[str, Any]] | None:
    """Records of results of this transformation that were marked irreproducible."""
    tf = Checksum(tf_checksum).hex()
    result = None if result_checksum is None else Checksum(result_checksum).hex()
    return await _first(lambda client: client.get_irreproducible_records(tf, result))


async def undo_transformation_result(
    tf_checksum: Checksum | str, result_checksum: Checksum | str
) -> bool:
    """Mark a stored result as irreproducible in every write database."""
    tf, result = Checksum(tf_checksum).hex(), Checksum(result_checksum).hex()
    undone = await _each_writer(lambda client: client.undo_transformation_result(tf, result))
    return any(undone)


async def write_minimal_record(
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
) -> bool:
    """Store a minimal execution record in every write database, best-effort; True if stored.

    Without a write database nothing happens. A failure of transport or storage kind is
    logged and gives False; so does a different record already stored for this result.
    """
    if not has_write_server():
        return False
    record = minimal_execution_record(
        tf_checksum,
        result_checksum,
        remote_target=remote_target,
        execution_mode=execution_mode,
        wall_time_seconds=wall_time_seconds,
        cpu_time_user_seconds=cpu_time_user_seconds,
        cpu_time_system_seconds=cpu_time_system_seconds,
        memory_peak_bytes=memory_peak_bytes,
        gpu_memory_peak_bytes=gpu_memory_peak_bytes,
    )
    try:
        return await set_execution_record(tf_checksum, result_checksum, record)
    except _BEST_EFFORT_ERRORS as exc:
        logger.warning(
            "best-effort minimal execution-record write failed for %s: %s",
            Checksum(tf_checksum).hex(),
            exc,
        )
        return False


if TYPE_CHECKING:  # this module is the 'database' hook of seamless_config.hooks (checked by mypy)
    from seamless_config.hooks import StorageHook

    from . import database_remote as _module

    _hook: StorageHook = _module
