"""Activation on a stage change: persistent mode (the services' hooks) or pure-Dask mode.

Persistent mode activates the ``buffer`` and ``database`` hooks (and ``daskserver`` or
``jobserver`` for execution ``remote``), registered by seamless-remote (:mod:`.hooks`), and fails
with a clear error when it is not installed. Pure-Dask mode never loads a hook, so seamless,
seamless_remote and seamless_transformer stay unimported. A ``DISABLED`` flag on a hook's
provider skips its activation.
"""

from __future__ import annotations

import os
import warnings

from . import pure_daskserver, select
from .cluster import get_cluster, get_cluster_registry, get_local_cluster
from .errors import ConfigurationError
from .extern_clients import service_hook
from .hooks import ServiceHook, StorageHook, get_hook, get_loaded_hook

__all__ = ["activate_selection", "deactivate_all", "report_execution_requirements"]


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


def _activate(provider: ServiceHook | StorageHook) -> None:
    if getattr(provider, "DISABLED", False):
        return
    provider.activate()


def _deactivate_loaded(name: str) -> None:
    provider = get_loaded_hook(name)
    if (
        provider is not None
        and hasattr(provider, "deactivate")
        and not getattr(provider, "DISABLED", False)
    ):
        provider.deactivate()


def _activate_persistent(cluster: str) -> None:
    execution = select.get_execution()
    target = select.check_remote_redundancy(cluster) if execution == "remote" else None
    purpose = f"persistent mode (cluster '{cluster}', persistent from {select.get_origin('persistent') or 'the default'})"
    _activate(service_hook("buffer", purpose=purpose))
    _activate(service_hook("database", purpose=purpose))
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
    _activate(service_hook(target, purpose=purpose))


def _spawn() -> None:
    local = get_local_cluster()
    workers = None
    if local is not None:
        workers = get_cluster_registry().current.clusters[local].workers
    if workers is None:
        workers = os.cpu_count() or 1
    spawner = get_hook(
        "spawn",
        purpose="execution 'spawn'",
        hint="pip install seamless-transformer, or use `execution: process`",
    )
    if not spawner.has_spawned():
        spawner.spawn(workers)


def deactivate_all() -> None:
    """Deactivate every service client that an activation may have set up (rollback)."""
    pure_daskserver.deactivate()
    for name in ("daskserver", "jobserver", "database", "buffer"):
        _deactivate_loaded(name)


def activate_selection() -> None:
    """Bring services in line with the selection (called on stage or substage changes)."""
    pure_daskserver.deactivate()
    for name in ("daskserver", "jobserver"):
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
