"""Pure-Dask mode: launch only a Dask server and hand the user a plain ``distributed.Client``.

Chosen by a selected cluster + execution remote + persistent false (see
:func:`seamless_config.select.is_pure_dask_mode`). No hashserver or database is started and
neither seamless, seamless_remote nor seamless_transformer is imported. Seamless
transformations are refused in this mode: the transformer checks :func:`is_active` and
reports :func:`pure_dask_reason`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import MissingDependencyError
from .launching import launch
from .notices import notice
from .registries import register_registry
from .select import get_selected_cluster, is_pure_dask_mode, pure_dask_reason
from .tools import configure_pure_daskserver

if TYPE_CHECKING:  # an optional dependency (the pure-dask extra), imported where it is used
    from distributed import Client

__all__ = [
    "DISABLED",
    "activate",
    "deactivate",
    "get_client",
    "get_pure_dask_registry",
    "is_active",
    "is_pure_dask_mode",
    "pure_dask_reason",
]

DISABLED = False
"""When true (tests), activate() launches and connects nothing; the mode flag is still set."""


@dataclass
class PureDaskRegistry:
    """The mode flag and the connected client (launch payloads: seamless_config.launching)."""

    active: bool = False
    client: Client | None = None

    def reset(self) -> None:
        deactivate()


_pure_dask_registry = register_registry("seamless_config.pure_daskserver", PureDaskRegistry())


def get_pure_dask_registry() -> PureDaskRegistry:
    """The process-wide pure-Dask registry."""
    return _pure_dask_registry


def is_active() -> bool:
    """True while pure-Dask mode is activated (set_stage/init chose it); transformers must refuse."""
    return _pure_dask_registry.active


def activate(*, no_main: bool = False, queue: str | None = None) -> Client | None:
    """Launch (or reconnect to) the pure Dask server of the selected cluster and connect a Client.

    Returns the ``distributed.Client``, or None when DISABLED or ``no_main``.
    """
    _pure_dask_registry.active = True
    if DISABLED or no_main:
        return None
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "pure-Dask mode needs the package distributed",
            package="distributed",
            hint="pip install seamless-config[pure-dask]",
        ) from exc
    conf = configure_pure_daskserver(cluster=get_selected_cluster(), queue=queue)
    payload = launch(conf)
    hostname = payload.get("hostname") or "localhost"
    client = distributed.Client(
        f"tcp://{hostname}:{payload['port']}", timeout="10s", set_as_default=True
    )
    if _pure_dask_registry.client is not None and _pure_dask_registry.client is not client:
        _close(_pure_dask_registry.client)
    _pure_dask_registry.client = client
    if payload.get("dashboard_port") is not None:
        notice("Dask dashboard: http://%s:%s", hostname, payload["dashboard_port"])
    return client


def _close(client: Client) -> None:
    try:
        client.close(timeout=2)
    except Exception:  # noqa: BLE001 (closing a client whose scheduler is gone must not fail a stage change)
        pass


def deactivate() -> None:
    """Leave pure-Dask mode and close the client (2 s timeout)."""
    _pure_dask_registry.active = False
    client, _pure_dask_registry.client = _pure_dask_registry.client, None
    if client is not None:
        _close(client)


def get_client() -> Client | None:
    """The pure-Dask ``distributed.Client``, or None."""
    return _pure_dask_registry.client
