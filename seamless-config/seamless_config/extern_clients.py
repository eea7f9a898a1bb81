"""Forwarding remote clients to workers: collect the active ones, re-create them elsewhere.

Contract with the ``buffer`` and ``database`` hooks (registered by seamless-remote, see
:mod:`.hooks`): each provides ``inspect_extern_clients()`` and ``inspect_launched_clients()``,
each returning a list of mappings (or objects) with ``readonly`` and any of ``url``,
``remote_url``, ``directory``, ``remote_directory``; launched entries also carry ``cluster``.
``define_extern_client(name, type, **params)`` defines a named extern client, and
``activate(no_main=True, extern_clients=[names])`` activates exactly those. A Dask client is
connected through the ``connect_dask`` hook (registered by seamless-dask).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, cast, overload

from . import session
from .errors import (
    ConfigurationError,
    FrozenConfigurationError,
    RemoteClientsError,
)
from .hooks import ServiceHook, StorageHook, StorageName, find_hook, get_hook

__all__ = ["collect_remote_clients", "set_remote_clients", "set_remote_clients_from_env"]

_ENTRY_KEYS = ("url", "remote_url", "directory", "remote_directory")


_REMOTE_HINT = (
    "pip install seamless-remote (or seamless-dask[remote]); or set `persistent: false` / "
    "`execution: process` in seamless.yaml"
)


@overload
def service_hook(name: StorageName, *, purpose: str) -> StorageHook: ...
@overload
def service_hook(name: str, *, purpose: str) -> ServiceHook: ...


def service_hook(name: str, *, purpose: str) -> StorageHook | ServiceHook:
    """The provider of a service hook (``buffer``, ``database``, ``daskserver``, ``jobserver``:
    seamless-remote); a clear MissingDependencyError if it is not installed."""
    # the name is one of the four service hooks; their providers are trusted (see .hooks)
    return cast(ServiceHook, get_hook(name, purpose=purpose, hint=_REMOTE_HINT))


def _field(entry: object, name: str) -> Any:
    if isinstance(entry, dict):
        return entry.get(name)
    return getattr(entry, name, None)


def _describe(entry: object) -> dict[str, Any]:
    result: dict[str, Any] = {
        "readonly": bool(
            _field(entry, "readonly") if _field(entry, "readonly") is not None else True
        )
    }
    for key in _ENTRY_KEYS:
        value = _field(entry, key)
        if value is not None:
            result[key] = value
    return result


def collect_remote_clients(cluster: str) -> dict[str, list[dict[str, Any]]]:
    """The remote-clients dict for workers: every extern client plus ``cluster``'s launched ones."""
    result: dict[str, list[dict[str, Any]]] = {}
    kinds: tuple[StorageName, ...] = ("database", "buffer")
    for kind in kinds:
        remote = service_hook(kind, purpose="collect_remote_clients()")
        entries = [_describe(e) for e in remote.inspect_extern_clients()]
        entries += [
            _describe(e)
            for e in remote.inspect_launched_clients()
            if _field(e, "cluster") == cluster
        ]
        result[kind] = entries
    return result


def set_remote_clients(clients: dict[str, Any], in_remote: bool = False) -> None:
    """Use exactly these remote clients (from the parent process); freezes the configuration.

    ``in_remote`` selects the view from inside the cluster (``remote_url``, ``remote_directory``).
    """
    state = session.get_session_state()
    if state.initialized:
        raise FrozenConfigurationError(
            "set_remote_clients() must be called before the configuration is initialized",
            hint="Call it first, instead of init()/set_stage()",
        )
    if not isinstance(clients, dict):
        raise ConfigurationError(
            "remote clients must be a mapping with 'database' and 'buffer'", value=clients
        )
    database_remote = service_hook("database", purpose="set_remote_clients()")
    buffer_remote = service_hook("buffer", purpose="set_remote_clients()")
    state.remote_clients_set = True
    url_key = "remote_url" if in_remote else "url"
    dir_key = "remote_directory" if in_remote else "directory"

    db_names = []
    for i, entry in enumerate(clients.get("database") or []):
        url = _field(entry, url_key)
        if url is None:
            raise RemoteClientsError(
                f"database entry {i} has no '{url_key}'", key="remote clients", value=entry
            )
        readonly = _field(entry, "readonly")
        name = f"extern-db-{i}"
        database_remote.define_extern_client(
            name, "database", url=url, readonly=True if readonly is None else bool(readonly)
        )
        db_names.append(name)
    database_remote.activate(no_main=True, extern_clients=db_names)

    buffer_names = []
    for i, entry in enumerate(clients.get("buffer") or []):
        directory = _field(entry, dir_key)
        url = _field(entry, url_key)
        if directory is None and url is None:
            raise RemoteClientsError(
                f"buffer entry {i} has neither '{dir_key}' nor '{url_key}'",
                key="remote clients",
                value=entry,
            )
        both = directory is not None and url is not None
        if directory is not None:
            if in_remote:
                directory = os.path.expanduser(directory)
            name = f"extern-buffer-{i}" + ("-folder" if both else "")
            buffer_remote.define_extern_client(
                name, "bufferfolder", directory=directory, readonly=True
            )
            buffer_names.append(name)
        if url is not None:
            readonly = _field(entry, "readonly")
            name = f"extern-buffer-{i}" + ("-server" if both else "")
            # with the server's own directory (reachable here) its writes may take the fast path
            server_dir = {"directory": directory} if both else {}
            buffer_remote.define_extern_client(
                name,
                "hashserver",
                url=url,
                readonly=True if readonly is None else bool(readonly),
                **server_dir,
            )
            buffer_names.append(name)
    buffer_remote.activate(no_main=True, extern_clients=buffer_names)


def set_remote_clients_from_env(include_dask: bool = False) -> bool:
    """Apply ``SEAMLESS_REMOTE_CLIENTS`` (JSON) unless SEAMLESS_CACHE is set; True if applied.

    With ``include_dask`` (not inside a Dask worker), also connect a SeamlessDaskClient to
    ``SEAMLESS_DASK_SCHEDULER`` with ``SEAMLESS_DASK_WORKERS`` workers; failures there warn.
    """
    if os.environ.get("SEAMLESS_CACHE", "").strip():
        return False
    raw = os.environ.get("SEAMLESS_REMOTE_CLIENTS")
    if not raw:
        return False
    try:
        clients = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"SEAMLESS_REMOTE_CLIENTS is not valid JSON ({exc})",
            key="SEAMLESS_REMOTE_CLIENTS",
        ) from exc
    set_remote_clients(clients, in_remote=True)
    scheduler = os.environ.get("SEAMLESS_DASK_SCHEDULER")
    if include_dask and scheduler:
        try:
            _connect_dask(scheduler, clients)
        except Exception as exc:  # noqa: BLE001 (a worker without Dask delegation still runs; the warning names the scheduler)
            warnings.warn(
                f"Could not connect to the Dask scheduler {scheduler}: {exc}", stacklevel=2
            )
    return True


def _connect_dask(scheduler: str, clients: dict[str, Any]) -> None:
    connector = find_hook("connect_dask")
    if connector is None:
        raise RuntimeError("seamless-dask is not installed (no 'connect_dask' hook)")
    workers = int(os.environ.get("SEAMLESS_DASK_WORKERS", "1"))
    connector.connect_dask_client(
        scheduler, workers=workers, remote_clients=clients, skip_in_worker=True
    )
