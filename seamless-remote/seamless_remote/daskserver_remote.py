"""The daskserver handle: launch `seamless-dask-wrapper` and expose its scheduler address.

`activate()` builds the launch dict with seamless-config's `tools.configure_daskserver()`,
starts or reconnects the wrapper through remote-http-launcher, and records a
`DaskserverHandle`. When seamless-dask is installed, it also connects a SeamlessDaskClient
(with the remote-clients dict, so workers reach the same hashserver and database) and
registers it, through seamless-config's ``connect_dask`` hook (seamless-dask registers it; this
package never imports seamless_dask); Dask itself is only imported then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seamless_config.notices import notice

from .launched import run_launcher
from .registry import get_remote_registry

__all__ = [
    "DISABLED",
    "DaskserverHandle",
    "activate",
    "build_handle",
    "deactivate",
    "get_daskserver_handle",
]

#: Set to True to make activate() a no-op (used by seamless-config's tests).
DISABLED = False


@dataclass(frozen=True)
class DaskserverHandle:
    """A launched Dask scheduler (seamless-dask-wrapper) of the selected cluster."""

    cluster: str | None
    key: str
    scheduler_address: str
    dashboard_url: str | None
    cores: int
    interactive: bool
    is_local_cluster: bool
    remote_clients: dict[str, Any]
    #: The SeamlessDaskClient that the ``connect_dask`` hook registered (seamless-dask), or None.
    client: object = field(default=None, compare=False, repr=False)


def _lenient_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def build_handle(
    conf: dict[str, Any],
    payload: dict[str, Any],
    *,
    cluster: str | None,
    remote_clients: dict[str, Any],
) -> DaskserverHandle:
    """The handle for a launch dict and the launcher's connection payload."""
    host = payload.get("hostname") or "localhost"
    parameters = conf.get("file_parameters") or {}
    dashboard = payload.get("dashboard_port")
    return DaskserverHandle(
        cluster=cluster,
        key=str(conf.get("key")),
        scheduler_address=f"tcp://{host}:{payload['port']}",
        dashboard_url=None if dashboard is None else f"http://{host}:{dashboard}",
        cores=int(parameters.get("cores") or 1),
        interactive=_lenient_bool(parameters.get("interactive", False)),
        is_local_cluster="LocalCluster" in str(conf.get("cluster_string", "")),
        remote_clients=remote_clients,
    )


def activate(no_main: bool = False, *, connect: bool = True) -> None:
    """Launch (or reconnect) the daskserver of the selected cluster.

    With `connect` and seamless-dask installed, also register a SeamlessDaskClient.
    """
    if DISABLED or no_main:
        return
    import seamless_config
    from seamless_config import select, tools

    cluster = select.get_selected_cluster()
    conf = tools.configure_daskserver()
    payload = run_launcher(conf)
    remote_clients = seamless_config.collect_remote_clients(cluster) if cluster else {}
    handle = build_handle(conf, payload, cluster=cluster, remote_clients=remote_clients)
    if connect:
        handle = _connect(handle)
    get_remote_registry().daskserver = handle
    if handle.dashboard_url:
        notice("Dask dashboard: %s", handle.dashboard_url)


def _connect(handle: DaskserverHandle) -> DaskserverHandle:
    from seamless_config.hooks import find_hook

    connector = find_hook("connect_dask")
    if connector is None:  # seamless-dask is not installed
        return handle
    client = connector.connect_dask_client(
        handle.scheduler_address,
        workers=handle.cores,
        remote_clients=handle.remote_clients,
        is_local_cluster=handle.is_local_cluster,
        interactive=handle.interactive,
    )
    return DaskserverHandle(**{**handle.__dict__, "client": client})


def get_daskserver_handle() -> DaskserverHandle | None:
    """The active daskserver handle, or None."""
    return get_remote_registry().daskserver


def deactivate() -> None:
    """Forget the daskserver (and unregister its SeamlessDaskClient, if we registered one)."""
    registry = get_remote_registry()
    handle, registry.daskserver = registry.daskserver, None
    if handle is not None and handle.client is not None:
        from seamless_config.hooks import find_hook

        connector = find_hook("connect_dask")
        if connector is not None:
            connector.disconnect_dask_client()


if TYPE_CHECKING:  # this module is the 'daskserver' hook of seamless_config.hooks (checked by mypy)
    from seamless_config.hooks import ServiceHook

    from . import daskserver_remote as _module

    _hook: ServiceHook = _module
