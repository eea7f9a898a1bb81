"""What the packages above seamless-config provide to it: registered hooks, found by name.

seamless-config is the lowest layer and imports nothing above it. Where it must act through a
higher package (activate the buffer, database, daskserver or jobserver service of the
selection; spawn workers; connect a Dask client), that package registers a *hook*:

- explicitly: ``seamless_config.hooks.register_hook(name, provider)``;
- or as an entry point in the group ``seamless_config.hooks`` (name -> module or object), so
  that seamless-config finds it without the package having been imported. Loading a registered
  entry point is the one allowed way to reach upward.

Hook names and what their provider offers (the providers are the 1.x modules themselves):

| name | provider | used for |
|---|---|---|
| ``buffer``, ``database`` | ``activate(no_main=..., extern_clients=...)``, ``deactivate()``, ``define_extern_client(name, type, **params)``, ``inspect_extern_clients()``, ``inspect_launched_clients()`` | persistent mode, remote clients |
| ``daskserver``, ``jobserver`` | ``activate()``, ``deactivate()`` | execution ``remote`` |
| ``spawn`` | ``spawn(n)``, ``has_spawned()`` | execution ``spawn`` |
| ``connect_dask`` | ``connect_dask_client(scheduler_address, *, workers, remote_clients, ...)``, ``disconnect_dask_client()`` | connecting a SeamlessDaskClient |

A provider may carry ``DISABLED = True``: seamless-config then skips its activation (tests).
See docs/architecture.md, "How a higher package registers with a lower one".

Each kind of provider is a Protocol below (:class:`ServiceHook`, :class:`StorageHook`,
:class:`SpawnHook`, :class:`DaskConnectHook`); a module satisfies it through its functions, and
``find_hook``/``get_hook`` return the protocol of the name asked for. The providers are trusted:
nothing checks at run time that a registered object has these functions.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from importlib.metadata import EntryPoint
from typing import Any, Literal, Protocol, overload

from .errors import MissingDependencyError
from .registries import register_registry

__all__ = [
    "DaskConnectHook",
    "ENTRY_POINT_GROUP",
    "HOOK_PACKAGES",
    "HookRegistry",
    "ServiceHook",
    "SpawnHook",
    "StorageHook",
    "find_hook",
    "get_hook",
    "get_hook_registry",
    "get_loaded_hook",
    "register_hook",
    "unregister_hook",
]

#: The entry-point group in which packages declare their hooks.
ENTRY_POINT_GROUP = "seamless_config.hooks"

#: The distribution that provides each hook (for the error when it is missing).
HOOK_PACKAGES = {
    "buffer": "seamless-remote",
    "database": "seamless-remote",
    "daskserver": "seamless-remote",
    "jobserver": "seamless-remote",
    "spawn": "seamless-transformer",
    "connect_dask": "seamless-dask",
}


#: The names of the storage hooks and of the execution-service hooks.
StorageName = Literal["buffer", "database"]
ExecutionName = Literal["daskserver", "jobserver"]


class ServiceHook(Protocol):
    """``daskserver``, ``jobserver`` (and the base of the storage hooks): a service client of
    the selected cluster, started by ``activate()`` and dropped by ``deactivate()``."""

    def activate(self) -> None: ...

    def deactivate(self) -> None: ...


class StorageHook(Protocol):
    """``buffer``, ``database``: the storage clients, also the extern (forwarded) ones."""

    def activate(self, *, no_main: bool = ..., extern_clients: Sequence[str] = ...) -> None: ...

    def deactivate(self) -> None: ...

    def define_extern_client(
        self,
        name: str,
        type: str,
        *,
        url: str | None = ...,
        directory: str | None = ...,
        readonly: bool = ...,
    ) -> None: ...

    def inspect_extern_clients(self) -> Sequence[Mapping[str, Any]]: ...

    def inspect_launched_clients(self) -> Sequence[Mapping[str, Any]]: ...


class SpawnHook(Protocol):
    """``spawn``: the local worker processes of execution ``spawn``."""

    def spawn(self, num_workers: int | None = ...) -> None: ...

    def has_spawned(self) -> bool: ...


class DaskConnectHook(Protocol):
    """``connect_dask``: connects (and registers) a SeamlessDaskClient, or drops it."""

    def connect_dask_client(
        self,
        scheduler_address: str,
        *,
        workers: int,
        remote_clients: Mapping[str, Any] | None,
        is_local_cluster: bool = ...,
        interactive: bool = ...,
        skip_in_worker: bool = ...,
    ) -> object: ...

    def disconnect_dask_client(self) -> None: ...


class HookRegistry:
    """Name -> provider, filled by ``register_hook`` or, on first need, from entry points."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: dict[str, object] = {}
        self._entry_points: dict[str, EntryPoint] | None = None

    def register(self, name: str, provider: object) -> None:
        """Register ``provider`` as hook ``name`` (replacing any previous one)."""
        with self._lock:
            self._hooks[name] = provider

    def unregister(self, name: str) -> None:
        """Forget hook ``name`` (an entry point may provide it again)."""
        with self._lock:
            self._hooks.pop(name, None)

    def loaded(self, name: str) -> object | None:
        """The provider of ``name`` if it is registered already (nothing is loaded), or None."""
        return self._hooks.get(name)

    def find(self, name: str) -> object | None:
        """The provider of ``name``: registered, else loaded from its entry point; or None."""
        provider = self._hooks.get(name)
        if provider is not None:
            return provider
        entry_point = self._declared().get(name)
        if entry_point is None:
            return None
        provider = entry_point.load()
        with self._lock:
            return self._hooks.setdefault(name, provider)

    def _declared(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            from importlib.metadata import entry_points

            found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
            with self._lock:
                self._entry_points = found
        return self._entry_points

    def reset(self, *, entry_points: bool = True) -> None:
        """Forget every registration and the entry-point cache (tests); with
        ``entry_points=False``, also ignore the installed entry points from now on."""
        with self._lock:
            self._hooks.clear()
            self._entry_points = None if entry_points else {}


_hook_registry = register_registry("seamless_config.hooks", HookRegistry())


def get_hook_registry() -> HookRegistry:
    """The process-wide hook registry."""
    return _hook_registry


def register_hook(name: str, provider: object) -> None:
    """Register ``provider`` as hook ``name`` (see the module docstring for the names)."""
    _hook_registry.register(name, provider)


def unregister_hook(name: str) -> None:
    """Forget the registration of hook ``name``."""
    _hook_registry.unregister(name)


@overload
def find_hook(name: StorageName) -> StorageHook | None: ...
@overload
def find_hook(name: ExecutionName) -> ServiceHook | None: ...
@overload
def find_hook(name: Literal["spawn"]) -> SpawnHook | None: ...
@overload
def find_hook(name: Literal["connect_dask"]) -> DaskConnectHook | None: ...
@overload
def find_hook(name: str) -> object | None: ...


def find_hook(name: str) -> object | None:
    """The provider of hook ``name`` (loading its entry point if needed), or None."""
    return _hook_registry.find(name)


@overload
def get_loaded_hook(name: StorageName) -> StorageHook | None: ...
@overload
def get_loaded_hook(name: ExecutionName) -> ServiceHook | None: ...
@overload
def get_loaded_hook(name: Literal["spawn"]) -> SpawnHook | None: ...
@overload
def get_loaded_hook(name: Literal["connect_dask"]) -> DaskConnectHook | None: ...
@overload
def get_loaded_hook(name: str) -> object | None: ...


def get_loaded_hook(name: str) -> object | None:
    """The provider of hook ``name`` if it was registered or loaded already, or None."""
    return _hook_registry.loaded(name)


@overload
def get_hook(name: StorageName, *, purpose: str, hint: str | None = None) -> StorageHook: ...
@overload
def get_hook(name: ExecutionName, *, purpose: str, hint: str | None = None) -> ServiceHook: ...
@overload
def get_hook(name: Literal["spawn"], *, purpose: str, hint: str | None = None) -> SpawnHook: ...
@overload
def get_hook(
    name: Literal["connect_dask"], *, purpose: str, hint: str | None = None
) -> DaskConnectHook: ...
@overload
def get_hook(name: str, *, purpose: str, hint: str | None = None) -> object: ...


def get_hook(name: str, *, purpose: str, hint: str | None = None) -> object:
    """The provider of hook ``name``; MissingDependencyError naming the package if none."""
    provider = find_hook(name)
    if provider is not None:
        return provider
    package = HOOK_PACKAGES.get(name, "a Seamless package")
    raise MissingDependencyError(
        f"{purpose} needs the package {package}, which is not installed (no '{name}' hook "
        f"is registered in the entry-point group {ENTRY_POINT_GROUP!r})",
        package=package,
        hint=hint
        or f"pip install {package}; in a development checkout, reinstall it (tox -r) so "
        "that its entry points are registered",
    )
