"""The selection state with its validation: every selected value, its source and its origin.

Every setting keeps a value, a *source* (None = default, "command" = a command file,
"environment" = SEAMLESS_CACHE, "manual" = a Python call) and a human-readable *origin*
("/path/seamless.yaml entry 3"). Values from commands and the environment go back to their
defaults before each reload; manual values survive until a command sets them again.

Defaults: ``execution`` is "remote" when a cluster is selected, else "process";
``persistent`` is true when a cluster is selected, else false. An explicit value always wins.

The selectors and getters that users call live in :mod:`seamless_config.select` (the Seamless
1.x module); the pure-Dask policy in :mod:`seamless_config.pure_dask_mode`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from . import cluster as _cluster
from .errors import InvalidSelectionError
from .names import check_name
from .registries import register_registry

__all__ = [
    "EXECUTION_MODES",
    "PROJECT_TOPLEVEL",
    "REMOTE_TARGETS",
    "SOURCES",
    "TRACKED",
    "SelectionRegistry",
    "SelectionState",
    "apply_selection",
    "current_state",
    "get_selection_registry",
    "validate_name",
    "validate_nparallel",
    "validate_timeout",
]

PROJECT_TOPLEVEL = "__TOPLEVEL__"
EXECUTION_MODES = ("process", "spawn", "remote")
REMOTE_TARGETS = (None, "daskserver", "jobserver")
SOURCES = (None, "command", "environment", "manual")

TRACKED = (
    "cluster",
    "project",
    "subproject",
    "execution",
    "persistent",
    "record",
    "queue",
    "remote",
    "node",
)
"""Settings with source tracking; the ones reset before every reload when not manual."""

_DEFAULTS: dict[str, Any] = {
    "cluster": None,
    "project": None,
    "subproject": None,
    "execution": "process",
    "persistent": None,
    "record": False,
    "queue": None,
    "remote": None,
    "node": None,
}


@dataclass
class SelectionState:
    """All selected values. Copied for a reload and committed only when the load succeeds."""

    values: dict[str, Any] = field(default_factory=lambda: dict(_DEFAULTS))
    sources: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(TRACKED))
    origins: dict[str, str] = field(default_factory=dict)
    command_seen: dict[str, bool] = field(
        default_factory=lambda: {"execution": False, "persistent": False, "record": False}
    )
    stage: str | None = None
    substage: str | None = None
    queue_cluster: str | None = None
    nparallel: int | None = None
    timeout: float | None = None

    def copy(self) -> SelectionState:
        return copy.deepcopy(self)

    def reset_before_load(self, name: str) -> None:
        """Put a setting back to its default unless it was set by a Python call."""
        if self.sources[name] in ("command", "environment"):
            self.values[name] = _DEFAULTS[name]
            self.sources[name] = None
            self.origins.pop(name, None)
            if name == "queue":
                self.queue_cluster = None
        if name in self.command_seen:
            self.command_seen[name] = False

    def execution(self) -> str:
        """The execution mode; 'remote' by default when a cluster is selected."""
        if self.sources["execution"] is None and self.values["cluster"] is not None:
            return "remote"
        execution: str = self.values["execution"]
        return execution

    def persistent(self, cluster: str | None = None) -> bool:
        """Whether results are stored; by default true when ``cluster`` (or the selected
        cluster) exists."""
        if self.values["persistent"] is not None:
            return bool(self.values["persistent"])
        return bool(cluster if cluster is not None else self.values["cluster"])


class SelectionRegistry:
    """Holds the live SelectionState; reset() restores every default (for tests)."""

    def __init__(self) -> None:
        self.state = SelectionState()

    def reset(self) -> None:
        self.state = SelectionState()

    def commit(self, state: SelectionState) -> None:
        self.state = state


_selection_registry = register_registry("seamless_config.selection_state", SelectionRegistry())


def get_selection_registry() -> SelectionRegistry:
    """The process-wide selection registry."""
    return _selection_registry


def current_state() -> SelectionState:
    """The live selection (replaced as a whole when a reload commits)."""
    return _selection_registry.state


# ---------------------------------------------------------------- validation


def validate_name(kind: str, value: Any, *, allow_none: bool = True) -> str | None:
    """Check a cluster/project/subproject/stage/substage name (see seamless_config.names)."""
    if value is None and allow_none:
        return None
    return check_name(kind, value)


def validate_nparallel(nparallel: Any) -> int:
    """``nparallel`` if it is an integer >= 1; InvalidSelectionError otherwise."""
    if isinstance(nparallel, bool) or not isinstance(nparallel, int) or nparallel < 1:
        raise InvalidSelectionError(
            "nparallel must be an integer >= 1", key="nparallel", value=nparallel
        )
    return nparallel


def validate_timeout(timeout: Any) -> float | None:
    """``timeout`` in seconds as a float (None: no timeout); InvalidSelectionError if not > 0."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidSelectionError(
            "timeout must be a number of seconds > 0, or null", key="timeout", value=timeout
        )
    return float(timeout)


def _check_source(source: str | None) -> None:
    if source not in SOURCES[1:]:
        raise InvalidSelectionError(
            "source must be 'command', 'environment' or 'manual'", key="source", value=source
        )


def _set(state: SelectionState, name: str, value: Any, source: str, origin: str | None) -> None:
    _check_source(source)
    state.values[name] = value
    state.sources[name] = source
    state.origins[name] = origin or ("a Python call" if source == "manual" else source)
    if name in state.command_seen and source == "command":
        state.command_seen[name] = True


def apply_selection(
    state: SelectionState,
    name: str,
    value: Any,
    *,
    source: str = "manual",
    origin: str | None = None,
    clusters: _cluster.ClusterSet | None = None,
) -> None:
    """Validate and store one setting in ``state`` (the command language and selectors use this)."""
    if name in ("cluster", "project"):
        validate_name(name, value, allow_none=(name == "cluster"))
        if name == "cluster" and value != state.values["cluster"]:
            state.values["queue"] = None
            state.queue_cluster = None
    elif name == "subproject":
        validate_name("subproject", value)
    elif name == "execution":
        if value not in EXECUTION_MODES:
            raise InvalidSelectionError(
                f"execution must be one of {', '.join(EXECUTION_MODES)}",
                key="execution",
                value=value,
            )
    elif name in ("persistent", "record"):
        if not isinstance(value, bool):
            raise InvalidSelectionError(f"{name} must be true or false", key=name, value=value)
    elif name == "remote":
        if value not in REMOTE_TARGETS:
            raise InvalidSelectionError(
                "remote must be null, 'daskserver' or 'jobserver'", key="remote", value=value
            )
    elif name == "node":
        if value is not None:
            check_name("node", value)
    elif name == "queue":
        _validate_queue(state, value, clusters)
        state.queue_cluster = state.values["cluster"]
    else:
        raise InvalidSelectionError("unknown setting", key=name)
    _set(state, name, value, source, origin)


def _validate_queue(
    state: SelectionState, queue: Any, clusters: _cluster.ClusterSet | None
) -> None:
    check_name("queue", queue)
    cluster_name = state.values["cluster"]
    if cluster_name is None:
        raise InvalidSelectionError(
            "a queue needs a selected cluster",
            key="queue",
            value=queue,
            hint="Put the `cluster` command before `queue`",
        )
    clusters = clusters if clusters is not None else _cluster.get_cluster_registry().current
    definition = clusters.clusters.get(cluster_name)
    if definition is None:
        raise InvalidSelectionError(
            f"cluster '{cluster_name}' is not defined, so it has no queues",
            key="queue",
            value=queue,
        )
    if queue not in definition.queues:
        raise InvalidSelectionError(
            f"cluster '{cluster_name}' has no such queue",
            key="queue",
            value=queue,
            hint=f"Defined queues: {', '.join(definition.queues) or '(none)'}",
        )
