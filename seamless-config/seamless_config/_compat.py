"""Live read-only views of the Seamless 1.x private module globals.

Seamless 1.x kept its state in module globals (``seamless_config._initialized``,
``seamless_config.select._current_cluster``, ...) that some code reads. Here the state lives in
registries (:mod:`seamless_config.session`, :mod:`seamless_config.selection_state`); the module
``__getattr__`` of ``seamless_config`` and of ``seamless_config.select`` answer the old names
from them through this module. Reading only: setting such a name changes nothing.
"""

from __future__ import annotations

from typing import Any

from .selection_state import TRACKED, current_state
from .session import get_session_state

__all__ = ["config_global", "select_global"]

_CONFIG_GLOBALS = {
    "_initialized": "initialized",
    "_set_workdir_called": "set_workdir_called",
    "_remote_clients_set": "remote_clients_set",
    "_workdir": "workdir",
}

_SELECT_GLOBALS = {
    **{f"_current_{name}": name for name in TRACKED},
    **{f"_{name}_source": name for name in TRACKED},
    **{f"_{name}_command_seen": name for name in ("execution", "persistent", "record")},
}


def _missing(module: str, name: str) -> AttributeError:
    return AttributeError(f"module {module!r} has no attribute {name!r}")


def config_global(name: str) -> Any:
    """The value of the 1.x global ``seamless_config.<name>`` (AttributeError if unknown)."""
    attribute = _CONFIG_GLOBALS.get(name)
    if attribute is None:
        raise _missing("seamless_config", name)
    return getattr(get_session_state(), attribute)


def select_global(name: str) -> Any:
    """The value of the 1.x global ``seamless_config.select.<name>`` (AttributeError if unknown)."""
    state = current_state()
    if name == "_current_stage":
        return state.stage
    if name == "_current_substage":
        return state.substage
    if name == "_queue_cluster":
        return state.queue_cluster
    if name == "_current_nparallel":
        return state.nparallel
    target = _SELECT_GLOBALS.get(name)
    if target is None:
        raise _missing("seamless_config.select", name)
    if name.startswith("_current_"):
        return state.values[target]
    if name.endswith("_source"):
        return state.sources[target]
    return state.command_seen[target]
