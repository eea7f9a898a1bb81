"""Activation on a stage change: persistent mode (seamless_remote) or pure-Dask mode.

Persistent mode imports seamless_remote lazily, here and only here, and fails with a clear
error when it is not installed. Pure-Dask mode never imports seamless, seamless_remote or
seamless_transformer. A ``DISABLED`` flag on a seamless_remote module skips its activation.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from . import pure_daskserver, select
from .cluster import get_cluster, get_cluster_registry, get_local_cluster
from .errors import ConfigurationError, MissingDependencyError
from .extern_clients import import_remote

__all__ = ["activate_selection", "report_execution_requirements"]


def report_execution_requirements() -> None:
    """Warn about defaults that were used, and refuse impossible combinations (after a load)."""
    cluster = select.get_selected_cluster()
    execution = select.get_execution()
    if not select.execution_command_seen() and not select.execution_was_set_explicitly():
        if cluster is not None:
            warnings.warn(
                "No 'execution' command found; Seamless defaults to 'remote' because a cluster is defined",
                UserWarning,
                stacklevel=3,
            )
        else:
            warnings.warn(
                "No 'execution' command found; Seamless falls back to 'process'",
                UserWarning,
                stacklevel=3,
            )
    if cluster is not None:
        return
    if execution == "remote":
        raise ConfigurationError(
            "execution 'remote' needs a cluster, but no cluster is selected",
            hint=f"Add `- cluster: NAME` or use `- execution: process` (execution from {select.get_origin('execution')})",
        )
    persistent = select.get_persistent()
    if select.persistent_was_set_explicitly():
        if persistent:
            raise ConfigurationError(
                "persistent true needs a cluster (or SEAMLESS_CACHE), but no cluster is selected",
                hint=f"Add `- cluster: NAME`, set SEAMLESS_CACHE=DIR, or remove `persistent: true` "
                f"(from {select.get_origin('persistent')})",
            )
        return
    warnings.warn(
        "No cluster defined; running without persistence (results are cached in memory only). "
        "Set SEAMLESS_CACHE=DIR or select a cluster for persistent caching",
        UserWarning,
        stacklevel=3,
    )


def _module(name: str, *, purpose: str) -> Any:
    return import_remote(name, purpose=purpose)


def _activate(module: Any) -> None:
    if getattr(module, "DISABLED", False):
        return
    module.activate()


def _deactivate_loaded(name: str) -> None:
    module = sys.modules.get(f"seamless_remote.{name}")
    if (
        module is not None
        and hasattr(module, "deactivate")
        and not getattr(module, "DISABLED", False)
    ):
        module.deactivate()


def _activate_persistent(cluster: str) -> None:
    execution = select.get_execution()
    target = select.check_remote_redundancy(cluster) if execution == "remote" else None
    purpose = f"persistent mode (cluster '{cluster}', persistent from {select.get_origin('persistent') or 'the default'})"
    _activate(_module("buffer_remote", purpose=purpose))
    _activate(_module("database_remote", purpose=purpose))
    if execution != "remote":
        return
    if target is None:
        warnings.warn(
            f"execution 'remote', but cluster '{cluster}' has neither a jobserver nor a daskserver: "
            "only storage is activated. Add one to the cluster or use `execution: process`",
            UserWarning,
            stacklevel=4,
        )
        return
    _activate(_module(f"{target}_remote", purpose=purpose))


def _spawn() -> None:
    local = get_local_cluster()
    workers = None
    if local is not None:
        workers = get_cluster_registry().current.clusters[local].workers
    if workers is None:
        workers = os.cpu_count() or 1
    try:
        import seamless_transformer
    except ImportError as exc:
        raise MissingDependencyError(
            "execution 'spawn' needs seamless-transformer",
            package="seamless-transformer",
            hint="pip install seamless-transformer, or use `execution: process`",
        ) from exc
    if not seamless_transformer.has_spawned():
        seamless_transformer.spawn(workers)


def activate_selection() -> None:
    """Bring services in line with the selection (called on stage or substage changes)."""
    pure_daskserver.deactivate()
    for name in ("daskserver_remote", "jobserver_remote"):
        _deactivate_loaded(name)
    cluster = select.get_selected_cluster()
    if cluster is not None and select.is_pure_dask_mode():
        get_cluster(cluster)
        select.require_daskserver_target(cluster)
        pure_daskserver.activate()
    elif cluster is not None and select.get_persistent():
        get_cluster(cluster)
        _activate_persistent(cluster)
    if select.get_execution() == "spawn":
        _spawn()
