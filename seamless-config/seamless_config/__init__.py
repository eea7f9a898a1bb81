"""Seamless configuration: the command language, clusters, selection state and service launch dicts.

``import seamless_config`` never imports seamless, seamless_remote or seamless_transformer;
persistent mode imports seamless_remote when it activates, pure-Dask mode never does.
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigurationError
from .extern_clients import collect_remote_clients, set_remote_clients
from .lifecycle import (
    change_stage,
    get_nparallel,
    get_workdir,
    init,
    reset,
    set_nparallel,
    set_stage,
    set_substage,
    set_workdir,
)
from .seamless_cache import get_seamless_cache
from .session import get_session_state

__all__ = [
    "ConfigurationError",
    "change_stage",
    "collect_remote_clients",
    "get_nparallel",
    "get_seamless_cache",
    "get_workdir",
    "init",
    "reset",
    "set_nparallel",
    "set_remote_clients",
    "set_stage",
    "set_substage",
    "set_workdir",
]

_PRIVATE_GLOBALS = {
    "_initialized": "initialized",
    "_set_workdir_called": "set_workdir_called",
    "_remote_clients_set": "remote_clients_set",
    "_workdir": "workdir",
}


def __getattr__(name: str) -> Any:
    """Live read-only views of the Seamless 1.x private globals (``_initialized``, ...)."""
    if name in _PRIVATE_GLOBALS:
        return getattr(get_session_state(), _PRIVATE_GLOBALS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
