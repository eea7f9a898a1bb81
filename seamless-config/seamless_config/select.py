"""Selection state: cluster, project, stage, execution, persistent, queue, remote, ... with source tracking.

Every setting keeps a value, a *source* (None = default, "command" = a command file,
"environment" = SEAMLESS_CACHE, "manual" = a Python call) and a human-readable *origin*
("/path/seamless.yaml entry 3"). Values from commands and the environment go back to their
defaults before each reload; manual values survive until a command sets them again.

Defaults: ``execution`` is "remote" when a cluster is selected, else "process";
``persistent`` is true when a cluster is selected, else false. An explicit value always wins.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import cluster as _cluster
from .errors import ConfigurationError, InvalidSelectionError, PureDaskModeError
from .names import check_name
from .registries import register_registry

__all__ = [
    "EXECUTION_MODES",
    "PROJECT_TOPLEVEL",
    "REMOTE_TARGETS",
    "SOURCES",
    "SelectionState",
    "check_remote_redundancy",
    "execution_command_seen",
    "execution_was_set_explicitly",
    "get_current",
    "get_execution",
    "get_node",
    "get_nparallel",
    "get_origin",
    "get_persistent",
    "get_queue",
    "get_record",
    "get_remote",
    "get_selected_cluster",
    "get_selected_project",
    "get_selected_subproject",
    "get_selection_registry",
    "get_source",
    "get_stage",
    "get_substage",
    "get_timeout",
    "is_pure_dask_mode",
    "persistent_command_seen",
    "persistent_was_set_explicitly",
    "pure_dask_reason",
    "record_command_seen",
    "reset_cluster_before_load",
    "reset_execution_before_load",
    "reset_node_before_load",
    "reset_persistent_before_load",
    "reset_project_before_load",
    "reset_queue_before_load",
    "reset_record_before_load",
    "reset_remote_before_load",
    "reset_subproject_before_load",
    "select_cluster",
    "select_execution",
    "select_node",
    "select_nparallel",
    "select_persistent",
    "select_project",
    "select_queue",
    "select_record",
    "select_remote",
    "select_stage",
    "select_subproject",
    "select_substage",
    "select_timeout",
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


class SelectionRegistry:
    """Holds the live SelectionState; reset() restores every default (for tests)."""

    def __init__(self) -> None:
        self.state = SelectionState()

    def reset(self) -> None:
        self.state = SelectionState()

    def commit(self, state: SelectionState) -> None:
        self.state = state


_selection_registry = register_registry("seamless_config.select", SelectionRegistry())


def get_selection_registry() -> SelectionRegistry:
    """The process-wide selection registry."""
    return _selection_registry


def _state() -> SelectionState:
    return _selection_registry.state


# ---------------------------------------------------------------- validation helpers


def validate_name(kind: str, value: Any, *, allow_none: bool = True) -> str | None:
    """Check a cluster/project/subproject/stage/substage name (see seamless_config.names)."""
    if value is None and allow_none:
        return None
    return check_name(kind, value)


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


# ---------------------------------------------------------------- selectors


def select_cluster(cluster: str | None, *, source: str = "manual") -> None:
    """Select a cluster (None to deselect); a different cluster clears the selected queue."""
    apply_selection(_state(), "cluster", cluster, source=source)


def select_project(project: str, *, source: str = "manual") -> None:
    """Select the project."""
    apply_selection(_state(), "project", project, source=source)


def select_subproject(subproject: str | None, *, source: str = "manual") -> None:
    """Select the subproject ('/' allowed)."""
    apply_selection(_state(), "subproject", subproject, source=source)


def select_stage(stage: str | None) -> None:
    """Select the stage (set_stage() also reloads the command files)."""
    _state().stage = validate_name("stage", stage)


def select_substage(substage: str | None) -> None:
    """Select the substage (it splits job servers, never storage)."""
    _state().substage = validate_name("substage", substage)


def select_execution(execution: str, *, source: str = "manual") -> None:
    """Select where transformations run: 'process', 'spawn' or 'remote'."""
    apply_selection(_state(), "execution", execution, source=source)


def select_persistent(persistent: bool, *, source: str = "manual") -> None:
    """Select whether results are stored in the hashserver/database."""
    apply_selection(_state(), "persistent", persistent, source=source)


def select_record(record: bool, *, source: str = "manual") -> None:
    """Select whether full execution records are written."""
    apply_selection(_state(), "record", record, source=source)


def select_queue(queue: str, *, source: str = "manual") -> None:
    """Select a queue of the selected (defined) cluster."""
    apply_selection(_state(), "queue", queue, source=source)


def select_remote(remote: str | None, *, source: str = "manual") -> None:
    """Select the remote execution target: None (inferred), 'daskserver' or 'jobserver'."""
    apply_selection(_state(), "remote", remote, source=source)


def select_node(node: str | None, *, source: str = "manual") -> None:
    """Pin Dask jobs to one compute node (None to unpin)."""
    apply_selection(_state(), "node", node, source=source)


def select_nparallel(nparallel: int) -> None:
    """Limit the number of active transformations of parallel()."""
    _state().nparallel = validate_nparallel(nparallel)


def validate_nparallel(nparallel: Any) -> int:
    if isinstance(nparallel, bool) or not isinstance(nparallel, int) or nparallel < 1:
        raise InvalidSelectionError(
            "nparallel must be an integer >= 1", key="nparallel", value=nparallel
        )
    return nparallel


def select_timeout(timeout: float | None) -> None:
    """Default timeout (seconds) of every transformation; None: no timeout."""
    _state().timeout = validate_timeout(timeout)


def validate_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidSelectionError(
            "timeout must be a number of seconds > 0, or null", key="timeout", value=timeout
        )
    return float(timeout)


# ---------------------------------------------------------------- getters


def get_stage() -> str | None:
    return _state().stage


def get_substage() -> str | None:
    return _state().substage


def get_selected_cluster() -> str | None:
    return _state().values["cluster"]


def get_selected_project() -> str | None:
    return _state().values["project"]


def get_selected_subproject() -> str | None:
    return _state().values["subproject"]


def get_execution() -> str:
    """The execution mode; 'remote' by default when a cluster is selected."""
    state = _state()
    if state.sources["execution"] is None and state.values["cluster"] is not None:
        return "remote"
    return state.values["execution"]


def get_persistent(cluster: str | None = None) -> bool:
    """Whether results are stored; by default true when ``cluster`` (or a selected cluster) exists."""
    state = _state()
    if state.values["persistent"] is not None:
        return state.values["persistent"]
    return bool(cluster if cluster is not None else state.values["cluster"])


def get_record() -> bool:
    return _state().values["record"]


def get_queue(cluster: str | None = None) -> str | None:
    """The selected queue if it belongs to ``cluster`` (default: the selected one) and still exists."""
    state = _state()
    queue = state.values["queue"]
    cluster = cluster if cluster is not None else state.values["cluster"]
    if queue is None or cluster is None or state.queue_cluster != cluster:
        return None
    definition = _cluster.get_cluster_registry().current.clusters.get(cluster)
    if definition is None or queue not in definition.queues:
        return None
    return queue


def get_remote() -> str | None:
    return _state().values["remote"]


def get_node() -> str | None:
    return _state().values["node"]


def get_nparallel() -> int | None:
    return _state().nparallel


def get_timeout() -> float | None:
    """The default transformation timeout in seconds (None: none)."""
    return _state().timeout


def get_source(name: str) -> str | None:
    """Where a tracked setting came from: None, 'command', 'environment' or 'manual'."""
    return _state().sources[name]


def get_origin(name: str) -> str | None:
    """Human-readable origin of a tracked setting ('<file> entry N', 'a Python call', ...)."""
    return _state().origins.get(name)


def get_current(
    cluster: str | None = None,
    project: str | None = None,
    subproject: str | None = None,
    stage: str | None = None,
    substage: str | None = None,
) -> tuple[str, str, str | None, str | None, str | None]:
    """Fill missing values from the selection; an explicit '' means "none" for the last three."""
    state = _state()
    cluster = cluster if cluster is not None else state.values["cluster"]
    if cluster is None:
        raise ConfigurationError(
            "No cluster defined", hint="Add `- cluster: NAME` to seamless.yaml"
        )
    project = project if project is not None else state.values["project"]
    if project is None:
        raise ConfigurationError(
            "No project defined", hint="Add `- project: NAME` to seamless.yaml"
        )
    subproject = subproject if subproject is not None else state.values["subproject"]
    stage = stage if stage is not None else state.stage
    substage = substage if substage is not None else state.substage
    return cluster, project, subproject or None, stage or None, substage or None


# ---------------------------------------------------------------- introspection


def execution_was_set_explicitly() -> bool:
    return _state().sources["execution"] is not None


def persistent_was_set_explicitly() -> bool:
    return _state().sources["persistent"] is not None


def execution_command_seen() -> bool:
    return _state().command_seen["execution"]


def persistent_command_seen() -> bool:
    return _state().command_seen["persistent"]


def record_command_seen() -> bool:
    return _state().command_seen["record"]


def _resetter(name: str) -> Callable[[], None]:
    def reset() -> None:
        _state().reset_before_load(name)

    reset.__name__ = f"reset_{name}_before_load"
    reset.__doc__ = f"Put '{name}' back to its default unless it was set by a Python call."
    return reset


reset_cluster_before_load = _resetter("cluster")
reset_project_before_load = _resetter("project")
reset_subproject_before_load = _resetter("subproject")
reset_execution_before_load = _resetter("execution")
reset_persistent_before_load = _resetter("persistent")
reset_record_before_load = _resetter("record")
reset_queue_before_load = _resetter("queue")
reset_remote_before_load = _resetter("remote")
reset_node_before_load = _resetter("node")


# ---------------------------------------------------------------- remote target and pure-Dask mode


def check_remote_redundancy(cluster: str) -> str | None:
    """The remote target for ``cluster``: the selected one, else the only job server it has.

    Raises ConfigurationError when the cluster has both a jobserver and a daskserver and no
    ``remote`` was selected.
    """
    remote = _state().values["remote"]
    if remote is not None:
        return remote
    definition = _cluster.get_cluster(cluster)
    has_jobserver = has_daskserver = False
    for frontend in definition.frontends:
        if frontend.jobserver is not None and frontend.daskserver is not None:
            raise ConfigurationError(
                f"frontend '{frontend.hostname}' of cluster '{cluster}' has both a jobserver and a daskserver",
                hint="Add `- remote: daskserver` or `- remote: jobserver` to seamless.yaml",
            )
        has_jobserver = has_jobserver or frontend.jobserver is not None
        has_daskserver = has_daskserver or frontend.daskserver is not None
    if has_jobserver and has_daskserver:
        raise ConfigurationError(
            f"cluster '{cluster}' has both a jobserver and a daskserver",
            hint="Add `- remote: daskserver` or `- remote: jobserver` to seamless.yaml",
        )
    if has_jobserver:
        return "jobserver"
    if has_daskserver:
        return "daskserver"
    return None


def is_pure_dask_mode() -> bool:
    """True when a cluster is selected, execution is remote and persistent is false.

    In this mode only a Dask server is launched, and Seamless transformations are refused.
    """
    return (
        get_selected_cluster() is not None and get_execution() == "remote" and not get_persistent()
    )


def _describe(name: str, value: Any) -> str:
    state = _state()
    shown = str(value).lower() if isinstance(value, bool) else value
    if state.sources.get(name) is None:
        if name == "execution":
            return f"execution '{shown}' (the default, because a cluster is selected)"
        return f"{name} {shown} (the default)"
    quoted = f"'{shown}'" if isinstance(value, str) else shown
    return f"{name} {quoted} (from {state.origins.get(name, state.sources[name])})"


def pure_dask_reason() -> str | None:
    """Which settings chose pure-Dask mode (for error messages), or None when not in it."""
    if not is_pure_dask_mode():
        return None
    return (
        "pure-Dask mode is selected by "
        + ", ".join(
            [
                _describe("cluster", get_selected_cluster()),
                _describe("execution", get_execution()),
                _describe("persistent", get_persistent()),
            ]
        )
        + "; to run Seamless transformations set `persistent: true` (needs a hashserver and a database)"
        " or `execution: process`"
    )


def require_daskserver_target(cluster: str) -> None:
    """In pure-Dask mode the remote target must be a daskserver; say what to change otherwise."""
    target = check_remote_redundancy(cluster)
    if target == "daskserver":
        return
    problem = (
        f"remote target is '{target}'"
        if target is not None
        else f"cluster '{cluster}' has no daskserver"
    )
    raise PureDaskModeError(
        f"Pure Dask mode requires a daskserver remote target: {problem}",
        hint=(pure_dask_reason() or "")
        + ". Select `remote: daskserver` with a cluster that has a daskserver,"
        " or set `persistent: true`, or `execution: process`",
    )


_PRIVATE_GLOBALS = {
    **{f"_current_{name}": name for name in TRACKED},
    **{f"_{name}_source": name for name in TRACKED},
    **{f"_{name}_command_seen": name for name in ("execution", "persistent", "record")},
}


def __getattr__(name: str) -> Any:
    """Live read-only views of the Seamless 1.x private globals (``_current_cluster``, ...)."""
    state = _state()
    if name == "_current_stage":
        return state.stage
    if name == "_current_substage":
        return state.substage
    if name == "_queue_cluster":
        return state.queue_cluster
    if name == "_current_nparallel":
        return state.nparallel
    target = _PRIVATE_GLOBALS.get(name)
    if target is not None:
        if name.startswith("_current_"):
            return state.values[target]
        if name.endswith("_source"):
            return state.sources[target]
        return state.command_seen[target]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
