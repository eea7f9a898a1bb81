"""The process-wide SeamlessDaskClient (1.x name), and the executor that uses it.

``set_seamless_dask_client(client)`` registers the client and the ``daskserver`` executor of
seamless_transformer, so ``direct``/``delayed`` route through Dask: with execution ``remote``,
and (Seamless 1.x) whenever execution ``process``/``spawn`` was not selected explicitly.
``set_seamless_dask_client(None)`` shuts the current one down and unregisters the executor.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from seamless_config.registries import register_registry

if TYPE_CHECKING:
    from .client import SeamlessDaskClient
    from .executor import DaskExecutor


class DaskClientRegistry:
    """Holds the registered SeamlessDaskClient (one at a time) and its executor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.client: SeamlessDaskClient | None = None
        self.executor: DaskExecutor | None = None

    def set(self, client: SeamlessDaskClient | None) -> None:
        """Register ``client`` (None: shut the current one down)."""
        from seamless_transformer.executors import register_executor, unregister_executor

        from .executor import EXECUTOR_NAME, DaskExecutor

        with self._lock:
            old, self.client = self.client, client
            if client is None:
                if self.executor is not None:
                    unregister_executor(EXECUTOR_NAME, self.executor)
                    self.executor = None
            else:
                if self.executor is None:
                    self.executor = DaskExecutor()
                register_executor(EXECUTOR_NAME, self.executor)
        if old is not None and old is not client:
            old.close()

    def reset(self) -> None:
        """Shut down and forget the client (tests)."""
        self.set(None)


_dask_client_registry = register_registry("seamless_dask.transformer_client", DaskClientRegistry())


def get_dask_client_registry() -> DaskClientRegistry:
    """The process-wide client registry."""
    return _dask_client_registry


def set_seamless_dask_client(client: SeamlessDaskClient | None) -> None:
    """Register the SeamlessDaskClient used by transformers (None: shut it down)."""
    if client is _dask_client_registry.client:
        return
    _dask_client_registry.set(client)


def get_seamless_dask_client() -> SeamlessDaskClient | None:
    """The registered SeamlessDaskClient, or None."""
    return _dask_client_registry.client


__all__ = [
    "DaskClientRegistry",
    "get_dask_client_registry",
    "get_seamless_dask_client",
    "set_seamless_dask_client",
]
