"""The one function that connects a SeamlessDaskClient to a scheduler and registers it.

Lower packages reach it through the ``connect_dask`` hook of seamless-config (entry point in
seamless-dask's ``pyproject.toml``): seamless-config for ``SEAMLESS_DASK_SCHEDULER`` in worker
processes, seamless-remote's ``daskserver_remote`` for a launched daskserver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import SeamlessDaskClient

__all__ = ["connect_dask_client", "disconnect_dask_client"]


def connect_dask_client(
    scheduler_address: str,
    *,
    workers: int,
    remote_clients: Mapping[str, Any] | None,
    is_local_cluster: bool = False,
    interactive: bool = False,
    skip_in_worker: bool = False,
) -> SeamlessDaskClient | None:
    """Connect a ``distributed.Client`` to ``scheduler_address``, wrap it in a
    SeamlessDaskClient (``workers`` Seamless workers per Dask worker, workers configured with
    ``remote_clients``), register it (``set_seamless_dask_client``) and return it.

    ``skip_in_worker``: inside a Dask worker task, connect nothing and return None (tasks use
    ``worker_client()`` instead).
    """
    import distributed

    from .client import SeamlessDaskClient
    from .transformer_client import set_seamless_dask_client

    if skip_in_worker:
        try:
            distributed.get_worker()
            return None
        except ValueError:
            pass
    dask_client = distributed.Client(scheduler_address, timeout="10s", set_as_default=False)
    client = SeamlessDaskClient(
        dask_client,
        worker_plugin_workers=workers,
        remote_clients=None if remote_clients is None else dict(remote_clients),
        is_local_cluster=is_local_cluster,
        interactive=interactive,
    )
    set_seamless_dask_client(client)
    return client


def disconnect_dask_client() -> None:
    """Unregister (and close) the registered SeamlessDaskClient."""
    from .transformer_client import set_seamless_dask_client

    set_seamless_dask_client(None)
