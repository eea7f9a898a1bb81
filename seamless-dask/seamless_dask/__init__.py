"""Seamless on Dask: SeamlessDaskClient, the worker plugin and the seamless-dask-wrapper server.

Names are exported lazily (module ``__getattr__``), so that importing ``seamless_dask.wrapper``
(the pure-Dask server) pulls in neither ``seamless`` nor ``seamless_transformer``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DaskExecutor": "executor",
    "DummySchedulerHandle": "dummy_scheduler",
    "FutureCache": "future_cache",
    "PermissionManager": "permissions",
    "SeamlessDaskClient": "client",
    "SeamlessWorkerPlugin": "worker_plugin",
    "TransformationFutures": "futures",
    "WrapperConfig": "wrapper_config",
    "build_wrapper_configuration": "wrapper_config",
    "create_dummy_client": "dummy_scheduler",
    "create_dummy_scheduler": "dummy_scheduler",
    "get_dummy_scheduler_address": "dummy_scheduler",
    "get_seamless_dask_client": "transformer_client",
    "set_seamless_dask_client": "transformer_client",
    "start_dummy_scheduler": "dummy_scheduler",
    "DependencyError": "errors",
    "NoDaskClientError": "errors",
    "SeamlessDaskError": "errors",
    "TransformationCanceledError": "errors",
    "WorkerSetupError": "errors",
    "WrapperConfigError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seamless_dask' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seamless_dask.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
