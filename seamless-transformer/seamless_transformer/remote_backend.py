"""The interface that remote execution backends (seamless-dask, the jobserver client) plug into.

A backend is registered once (``register_remote_backend``; the jobserver backend is built in
and chosen by ``remote: jobserver``, see ``get_remote_backend``); with execution ``remote`` every
transformation that is not ``.local`` and has no cached result is handed to
``backend.compute(transformation)``. The backend returns the result checksum (the result buffer
and database entry having been written by the worker), or raises; the exception text becomes
``transformation.exception``. See README.md, "Interface for execution backends".
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seamless import Checksum

    from .transformation import Transformation


class RemoteBackend(abc.ABC):
    """A remote execution backend."""

    #: Short name, e.g. "daskserver" or "jobserver".
    name: str = "remote"

    @abc.abstractmethod
    async def compute(self, transformation: Transformation) -> Checksum:
        """Compute ``transformation`` remotely and return its result checksum.

        Parameters
        ----------
        transformation
            The Transformation. ``transformation.dependencies`` are the upstream transformations
            whose result is not known yet (empty when it is constructed); ``build_dict()`` and
            ``construct_from()`` give its dict and checksum once their results are known.

        Returns
        -------
        Checksum
            The result checksum; raise on failure.
        """

    async def cancel(self, transformation: Transformation) -> bool:
        """Cancel remote work for ``transformation``; True if something was cancelled."""
        return False

    def claims_unselected_work(self) -> bool:
        """True when this backend runs the work for which no execution mode was selected
        explicitly (Seamless 1.x: a registered SeamlessDaskClient). Default: False."""
        return False


class RemoteBackendRegistry:
    """Holds the registered backend (one at a time)."""

    def __init__(self) -> None:
        self._backend: RemoteBackend | None = None

    def register(self, backend: RemoteBackend) -> None:
        """Register ``backend``, replacing any previous one."""
        if not isinstance(backend, RemoteBackend):
            raise TypeError(f"Expected a RemoteBackend instance, not {type(backend).__name__}")
        self._backend = backend

    def get(self) -> RemoteBackend | None:
        """The registered backend, or None."""
        return self._backend

    def unregister(self, backend: RemoteBackend | None = None) -> None:
        """Remove the backend (only if it is ``backend``, when given)."""
        if backend is None or self._backend is backend:
            self._backend = None

    def reset(self) -> None:
        """Remove any backend (tests)."""
        self._backend = None


_remote_backend_registry = RemoteBackendRegistry()


def get_remote_backend_registry() -> RemoteBackendRegistry:
    """The process-wide backend registry."""
    return _remote_backend_registry


def register_remote_backend(backend: RemoteBackend) -> None:
    """Register the remote execution backend."""
    _remote_backend_registry.register(backend)


def unregister_remote_backend(backend: RemoteBackend | None = None) -> None:
    """Unregister the remote execution backend."""
    _remote_backend_registry.unregister(backend)


def get_remote_backend() -> RemoteBackend | None:
    """The backend for remote work, or None.

    The jobserver backend (:mod:`.jobserver_backend`, built in: it needs only
    seamless_remote's jobserver client) when ``remote: jobserver`` is selected, or when no
    remote target is selected, no backend is registered and a jobserver is active;
    otherwise the registered backend (seamless-dask's).
    """
    from .jobserver_backend import JobserverBackend, jobserver_is_active
    from .selection import get_remote_target

    target = get_remote_target()
    backend = _remote_backend_registry.get()
    if target == "jobserver" or (backend is None and target is None and jobserver_is_active()):
        return JobserverBackend()
    return backend


__all__ = [
    "RemoteBackend",
    "RemoteBackendRegistry",
    "get_remote_backend",
    "get_remote_backend_registry",
    "register_remote_backend",
    "unregister_remote_backend",
]
