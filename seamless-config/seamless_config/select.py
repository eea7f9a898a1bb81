"""Selectors and getters of the selection: cluster, project, stage, execution, persistent, queue,
remote, ... (the Seamless 1.x module ``seamless_config.select``).

The state itself, with its source tracking, defaults and validation, is in
:mod:`seamless_config.selection_state`; the pure-Dask policy in
:mod:`seamless_config.pure_dask_mode`; the 1.x private globals (``_current_cluster``, ...) are
answered by :mod:`seamless_config._compat`. This module exports all of them under their 1.x
names, so code written for Seamless 1.x imports what it always did from here.

Defaults: ``execution`` is "remote" when a cluster is selected, else "process";
``persistent`` is true when a cluster is selected, else false. An explicit value always wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _compat
from . import cluster as _cluster
from .errors import ConfigurationError
from .pure_dask_mode import (
    check_remote_redundancy,
    is_pure_dask_mode,
    pure_dask_reason,
)
from .pure_dask_mode import (
    require_daskserver_target as require_daskserver_target,
)
from .selection_state import (
    EXECUTION_MODES,
    PROJECT_TOPLEVEL,
    REMOTE_TARGETS,
    SOURCES,
    SelectionState,
    get_selection_registry,
)
from .selection_state import (
    TRACKED as TRACKED,
)
from .selection_state import (
    SelectionRegistry as SelectionRegistry,
)
from .selection_state import (
    apply_selection as apply_selection,
)
from .selection_state import current_state as _state
from .selection_state import (
    validate_name as validate_name,
)
from .selection_state import (
    validate_nparallel as validate_nparallel,
)
from .selection_state import (
    validate_timeout as validate_timeout,
)

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


def select_timeout(timeout: float | None) -> None:
    """Default timeout (seconds) of every transformation; None: no timeout."""
    _state().timeout = validate_timeout(timeout)


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
    return _state().execution()


def get_persistent(cluster: str | None = None) -> bool:
    """Whether results are stored; by default true when ``cluster`` (or a selected cluster) exists."""
    return _state().persistent(cluster)


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


def __getattr__(name: str) -> Any:
    """Live read-only views of the Seamless 1.x private globals (``_current_cluster``, ...)."""
    return _compat.select_global(name)
