"""The remote registry: extern client definitions, launched services and the active clients.

This is the only mutable state of seamless_remote besides the session registry. The
`buffer_remote` and `database_remote` modules expose views of it under their Seamless 1.x
attribute names (`_write_server_clients`, ...), which seamless-core reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from seamless_config.registries import register_registry

from .buffer_client import BufferClient
from .client import Client
from .database_client import DatabaseClient
from .errors import ClientDefinitionError
from .folder_client import BufferFolderClient

if TYPE_CHECKING:  # both modules import this one
    from .daskserver_remote import DaskserverHandle
    from .jobserver_remote import JobserverClient

__all__ = [
    "ExternDefinition",
    "LaunchedService",
    "RemoteRegistry",
    "get_remote_registry",
]

EXTERN_TYPES = ("hashserver", "bufferfolder", "database", "jobserver")

C = TypeVar("C", bound=Client)


@dataclass(frozen=True)
class ExternDefinition:
    """A client defined by name with `define_extern_client`."""

    name: str
    type: str
    url: str | None
    directory: str | None
    readonly: bool

    def as_entry(self) -> dict[str, Any]:
        """The remote-clients dict entry (extern locations are valid everywhere)."""
        entry: dict[str, Any] = {"readonly": self.readonly}
        if self.url is not None:
            entry["url"] = self.url
            entry["remote_url"] = self.url
        if self.directory is not None:
            entry["directory"] = self.directory
            entry["remote_directory"] = self.directory
        return entry


@dataclass(frozen=True)
class LaunchedService:
    """A hashserver or database started (or reconnected) through remote-http-launcher."""

    tool: str
    cluster: str | None
    key: str
    readonly: bool
    url: str
    remote_url: str
    directory: str | None
    remote_directory: str | None
    conf: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The cluster's hashserver `fast_path` setting: False keeps every buffer on HTTP.
    fast_path: bool = True

    def as_entry(self) -> dict[str, Any]:
        """The remote-clients dict entry, with the cluster it belongs to.

        Without the fast path, the directories are left out, so workers use HTTP too.
        """
        entry: dict[str, Any] = {"cluster": self.cluster, "readonly": self.readonly}
        names = ("url", "remote_url", "directory", "remote_directory")
        for name in names if self.fast_path else names[:2]:
            value = getattr(self, name)
            if value is not None:
                entry[name] = value
        return entry


@dataclass
class RemoteRegistry:
    """All remote-client state of the process."""

    extern: dict[str, ExternDefinition] = field(default_factory=dict)
    buffer_folders: list[BufferFolderClient] = field(default_factory=list)
    buffer_read_servers: list[BufferClient] = field(default_factory=list)
    buffer_write_servers: list[BufferClient] = field(default_factory=list)
    buffer_extern: list[str] = field(default_factory=list)
    buffer_launched: list[LaunchedService] = field(default_factory=list)
    database_read: list[DatabaseClient] = field(default_factory=list)
    database_write: list[DatabaseClient] = field(default_factory=list)
    database_extern: list[str] = field(default_factory=list)
    database_launched: list[LaunchedService] = field(default_factory=list)
    jobserver_clients: list[JobserverClient] = field(default_factory=list)
    daskserver: DaskserverHandle | None = None
    _clients: dict[tuple[str, str, bool], Client | BufferFolderClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def define_extern_client(
        self,
        name: str,
        type: str,
        *,
        url: str | None,
        directory: str | None,
        readonly: bool,
    ) -> None:
        """Validate and store a named client definition (replacing one of the same name)."""
        if type not in EXTERN_TYPES:
            raise ClientDefinitionError(
                name,
                problem=f"unknown type {type!r}; use one of {', '.join(EXTERN_TYPES)}",
            )
        if type == "bufferfolder":
            if directory is None or url is not None:
                raise ClientDefinitionError(
                    name, problem="a bufferfolder needs directory=... and no url"
                )
            if not readonly:
                raise ClientDefinitionError(
                    name, problem="a bufferfolder is read-only; pass readonly=True"
                )
        elif url is None:
            raise ClientDefinitionError(name, problem=f"a {type} needs url=...")
        elif directory is not None and type != "hashserver":
            raise ClientDefinitionError(name, problem=f"a {type} takes no directory")
        self.extern[name] = ExternDefinition(name, type, url, directory, readonly)

    def get_extern(self, name: str, *, types: tuple[str, ...]) -> ExternDefinition:
        """The definition of `name`, which must have one of `types`."""
        try:
            definition = self.extern[name]
        except KeyError:
            raise ClientDefinitionError(
                name, problem="not defined; call define_extern_client() first"
            ) from None
        if definition.type not in types:
            raise ClientDefinitionError(
                name, problem=f"has type {definition.type!r}, expected {' or '.join(types)}"
            )
        return definition

    def buffer_client(self, url: str, *, readonly: bool) -> BufferClient:
        """The (shared) client object for a hashserver URL."""
        return self._client("hashserver", url, readonly, BufferClient)

    def database_client(self, url: str, *, readonly: bool) -> DatabaseClient:
        """The (shared) client object for a database URL."""
        return self._client("database", url, readonly, DatabaseClient)

    def folder_client(self, directory: str) -> BufferFolderClient:
        """The (shared) client object for a read folder."""
        key = ("bufferfolder", directory, True)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = BufferFolderClient(directory)
            # the kind in the key fixes the class of the client stored under it
            return cast(BufferFolderClient, client)

    def _client(self, kind: str, url: str, readonly: bool, cls: type[C]) -> C:
        key = (kind, url.rstrip("/"), readonly)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = cls(url, readonly=readonly)
            # the kind in the key fixes the class of the client stored under it
            return cast(C, client)

    def reset(self) -> None:
        """Forget every definition, launched service and active client."""
        fresh = RemoteRegistry()
        for name in self.__dataclass_fields__:
            if name != "_lock":
                setattr(self, name, getattr(fresh, name))


_remote_registry = register_registry("seamless_remote.registry", RemoteRegistry())


def get_remote_registry() -> RemoteRegistry:
    """The process-wide remote registry."""
    return _remote_registry
