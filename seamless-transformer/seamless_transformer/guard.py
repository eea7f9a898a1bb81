"""The pure-Dask guard: transformers are refused, with a clear error, in pure-Dask mode.

Pure-Dask mode (a cluster with a daskserver and ``persistent: false``) has no hashserver and no
database, so Seamless results could not be stored or shared. seamless_config knows whether the
mode is active and why; it is only consulted when it has been imported (pure-Dask mode cannot
be active otherwise), so the check costs next to nothing on the normal path.
"""

from __future__ import annotations

import sys

from .errors import PureDaskModeError


def pure_dask_reason() -> str | None:
    """Why pure-Dask mode is active (the settings that chose it), or None when it is not."""
    if "seamless_config" not in sys.modules:
        return None
    for module_name in ("seamless_config.pure_dask_mode", "seamless_config.pure_daskserver"):
        module = sys.modules.get(module_name)
        func = getattr(module, "pure_dask_reason", None) if module is not None else None
        if func is not None:
            reason = func()
            if reason:
                return str(reason)
    pure = sys.modules.get("seamless_config.pure_daskserver")
    get_client = getattr(pure, "get_client", None) if pure is not None else None
    if get_client is not None and get_client() is not None:
        return "a pure-Dask client was activated by seamless_config"
    return None


def check_not_pure_dask(action: str) -> None:
    """Raise PureDaskModeError if pure-Dask mode is active."""
    reason = pure_dask_reason()
    if reason is not None:
        raise PureDaskModeError(reason=reason, action=action)
