"""Seamless configuration: the command language, clusters, selection state and service launch dicts.

``import seamless_config`` never imports seamless, seamless_remote or seamless_transformer;
persistent mode imports seamless_remote when it activates, pure-Dask mode never does.
"""

from __future__ import annotations

from typing import Any

from . import _compat
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


def __getattr__(name: str) -> Any:
    """Live read-only views of the Seamless 1.x private globals (``_initialized``, ...)."""
    return _compat.config_global(name)
