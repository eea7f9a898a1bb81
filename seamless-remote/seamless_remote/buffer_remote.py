"""Buffer storage through the active read folders, hashservers and write servers.

seamless-core calls `get_buffer`, `promise`, `write_buffer` and `has_write_server` and reads
`_write_server_clients`; seamless-config calls `activate`, `inspect_extern_clients` and
`inspect_launched_clients`. Reads try the read folders, then the read servers, in order; the
first verified hit wins. Writes and promises go to every write server; a write server whose
directory is reachable here gets the local fast path (`folder_writer`; DESIGN.md point 17).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seamless import Buffer, Checksum

from .buffer_client import BufferClient, BufferStore
from .client import define_extern_client
from .errors import CorruptBufferError, ServerUnavailableError
from .folder_client import BufferFolderClient
from .folder_writer import FastPath
from .launched import launch_service, relaunch
from .registry import LaunchedService, get_remote_registry
from .settings import get_fast_path_enabled

__all__ = [
    "DISABLED",
    "activate",
    "deactivate",
    "define_extern_client",
    "get_buffer",
    "get_buffer_lengths",
    "get_folder_buffer_now",
    "has_read_server",
    "has_write_server",
    "inspect_extern_clients",
    "inspect_launched_clients",
    "promise",
    "upload_buffers",
    "write_buffer",
]

logger = logging.getLogger(__name__)

#: Set to True to make activate() a no-op (used by seamless-config's tests).
DISABLED = False

_VIEWS = {
    "_read_folders_clients": "buffer_folders",
    "_read_server_clients": "buffer_read_servers",
    "_write_server_clients": "buffer_write_servers",
}


def __getattr__(name: str) -> Any:
    """Seamless 1.x attribute names that seamless-core reads, as views of the registry."""
    if name in _VIEWS:
        return getattr(get_remote_registry(), _VIEWS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def activate(
    readonly: bool = False,
    extra_launched_clients: Sequence[LaunchedService] = (),
    extern_clients: Sequence[str] = (),
    no_main: bool = False,
) -> None:
    """Rebuild the active buffer clients.

    Parameters
    ----------
    readonly
        Launch the main hashserver read-only and do not write to it.
    extra_launched_clients
        Further launched hashservers (see `seamless_remote.launched.launch_service`).
    extern_clients
        Names given to `define_extern_client` (types "hashserver" or "bufferfolder").
    no_main
        Do not launch the hashserver of the selected cluster/project/stage.
    """
    if DISABLED:
        return
    registry = get_remote_registry()
    definitions = [
        registry.get_extern(name, types=("hashserver", "bufferfolder")) for name in extern_clients
    ]
    launched = list(extra_launched_clients)
    if not no_main and _cluster_selected():
        launched.insert(0, launch_service("hashserver", readonly=readonly))
    folders: list[BufferFolderClient] = []
    readers: list[BufferClient] = []
    writers: list[BufferClient] = []

    def add_folder(directory: str) -> None:
        folder = registry.folder_client(directory)
        if folder not in folders:
            folders.append(folder)

    for service in launched:
        client = registry.buffer_client(service.url, readonly=service.readonly)
        client.reconnect = _reconnector(service)
        if service.directory is not None and service.fast_path:
            add_folder(service.directory)
        _attach_fast_path(client, service.directory if service.fast_path else None)
        readers.append(client)
        if not service.readonly:
            writers.append(client)
    for definition in definitions:
        if definition.type == "bufferfolder":
            add_folder(str(definition.directory))
            continue
        client = registry.buffer_client(str(definition.url), readonly=definition.readonly)
        if definition.directory is not None:
            add_folder(definition.directory)
        _attach_fast_path(client, definition.directory)
        readers.append(client)
        if not definition.readonly:
            writers.append(client)
    registry.buffer_folders = folders
    registry.buffer_read_servers = readers
    registry.buffer_write_servers = writers
    registry.buffer_launched = launched
    registry.buffer_extern = list(extern_clients)


def _attach_fast_path(client: BufferClient, directory: str | None) -> None:
    """Give a writable client the fast path into its server's ``directory`` (see DESIGN 17).

    Turned off by the cluster's hashserver setting `fast_path: false` (then ``directory`` is
    None here) or by SEAMLESS_BUFFER_FAST_PATH=off. Whether the directory is really the
    server's and writable is probed on the first write (`FastPath`).
    """
    if client.readonly or directory is None or not get_fast_path_enabled():
        client.fast_path = None
        return
    current = client.fast_path
    if current is not None and current.writer.directory == Path(directory).expanduser():
        return  # keep what was probed
    client.fast_path = FastPath(directory, client.buffer_lengths)


def deactivate() -> None:
    """Use no buffer clients at all."""
    registry = get_remote_registry()
    registry.buffer_folders = []
    registry.buffer_read_servers = []
    registry.buffer_write_servers = []
    registry.buffer_launched = []
    registry.buffer_extern = []


def _cluster_selected() -> bool:
    from seamless_config import select

    return select.get_selected_cluster() is not None


def _reconnector(service: LaunchedService) -> Callable[[], str]:
    return lambda: relaunch(service)


def has_read_server() -> bool:
    """True if any read folder or hashserver is active."""
    registry = get_remote_registry()
    return bool(registry.buffer_folders or registry.buffer_read_servers)


def has_write_server() -> bool:
    """True if any writable hashserver is active."""
    return bool(get_remote_registry().buffer_write_servers)


def inspect_extern_clients() -> list[dict[str, Any]]:
    """Remote-clients entries of the active extern buffer clients."""
    registry = get_remote_registry()
    return [registry.extern[name].as_entry() for name in registry.buffer_extern]


def inspect_launched_clients() -> list[dict[str, Any]]:
    """Remote-clients entries (with "cluster") of the active launched hashservers."""
    return [service.as_entry() for service in get_remote_registry().buffer_launched]


async def get_buffer(checksum: Checksum | str) -> Buffer | None:
    """The buffer from the first read folder or hashserver that has it, verified.

    Returns None when nobody has it. Raises CorruptBufferError when the only copies found
    are corrupt, and ServerUnavailableError when a server that might have it is down.
    """
    cs = Checksum(checksum)
    registry = get_remote_registry()
    problem: CorruptBufferError | ServerUnavailableError | None = None
    readers: list[BufferStore] = [*registry.buffer_folders, *registry.buffer_read_servers]
    for client in readers:
        try:
            content = await client.get(cs.hex())
        except CorruptBufferError as exc:
            logger.warning("%s", exc)
            problem = exc
            continue
        except ServerUnavailableError as exc:
            if problem is None:
                problem = exc
            continue
        if content is not None:
            return Buffer(content, checksum=cs)
    if problem is not None:
        raise problem
    return None


def get_folder_buffer_now(checksum: Checksum | str) -> Buffer | None:
    """The buffer from the first read folder that has a verified copy, read in the calling
    thread (never an event loop's: it blocks on file I/O); None otherwise, and then
    ``get_buffer`` is the way (lock waits, servers, errors)."""
    cs = Checksum(checksum)
    for folder in get_remote_registry().buffer_folders:
        content = folder.get_now(cs.hex())
        if content is not None:
            return Buffer(content, checksum=cs)
    return None


async def get_buffer_lengths(checksums: Sequence[Checksum | str]) -> list[int | None]:
    """For each checksum, its length from the first client that knows it, else None."""
    hexes = [Checksum(cs).hex() for cs in checksums]
    result: list[int | None] = [None] * len(hexes)
    registry = get_remote_registry()
    readers: list[BufferStore] = [*registry.buffer_folders, *registry.buffer_read_servers]
    for client in readers:
        todo = [i for i, length in enumerate(result) if length is None]
        if not todo:
            break
        try:
            lengths = await client.buffer_lengths([hexes[i] for i in todo])
        except (ServerUnavailableError, OSError) as exc:
            logger.warning("Skipping %r for buffer lengths: %s", client, exc)
            continue
        for i, length in zip(todo, lengths, strict=True):
            result[i] = length
    return result


async def promise(checksum: Checksum | str) -> None:
    """Promise the buffer to every write server (GETs wait for the upload)."""
    cs = Checksum(checksum).hex()
    clients = get_remote_registry().buffer_write_servers
    await asyncio.gather(*(client.promise(cs) for client in clients))


async def write_buffer(checksum: Checksum | str, buffer: Buffer | bytes) -> bool:
    """Upload the buffer to every write server; False if there are none."""
    cs = Checksum(checksum).hex()
    content = buffer if isinstance(buffer, bytes) else buffer.content
    clients = get_remote_registry().buffer_write_servers
    if not clients:
        return False
    results = await asyncio.gather(*(client.write(cs, content) for client in clients))
    return all(results)


async def upload_buffers(buffers: Sequence[Buffer]) -> bool:
    """Make sure every write server has ``buffers``; False if there are none.

    The uploads run concurrently; a buffer that this process wrote to a server recently
    (``BufferClient.recently_written``) is not sent to that server again.
    """
    clients = get_remote_registry().buffer_write_servers
    if not clients:
        return False
    jobs = []
    seen: set[str] = set()
    for buffer in buffers:
        cs = (await buffer.get_checksum_async()).hex()
        if cs in seen:
            continue
        seen.add(cs)
        jobs += [
            client.write(cs, buffer.content)
            for client in clients
            if not client.recently_written(cs)
        ]
    results = await asyncio.gather(*jobs)
    return all(results)


if TYPE_CHECKING:  # this module is the 'buffer' hook of seamless_config.hooks (checked by mypy)
    from seamless_config.hooks import StorageHook

    from . import buffer_remote as _module

    _hook: StorageHook = _module
