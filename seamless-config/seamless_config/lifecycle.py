"""The top-level workflow: workdir, init(), set_stage(), change_stage(), reset()."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from . import activation, config_files, pure_daskserver, select, session
from .cluster import get_cluster_registry
from .errors import ConfigurationError, FrozenConfigurationError
from .launching import get_launch_registry
from .tools import get_tool_registry

__all__ = [
    "change_stage",
    "get_nparallel",
    "get_workdir",
    "init",
    "reset",
    "set_nparallel",
    "set_stage",
    "set_substage",
    "set_workdir",
]

_UNSET: Any = object()

logger = logging.getLogger(__name__)


def _refuse_if_frozen(what: str) -> None:
    if session.get_session_state().remote_clients_set:
        raise FrozenConfigurationError(
            f"{what} is not allowed after set_remote_clients(): the configuration comes from the parent process",
        )


def set_workdir(workdir: str | None = _UNSET) -> None:
    """Set the directory whose seamless.yaml is read; without argument, the caller's module directory."""
    _refuse_if_frozen("set_workdir()")
    state = session.get_session_state()
    if workdir is _UNSET:
        workdir = session.caller_directory()
    state.workdir = None if workdir is None else os.path.abspath(os.path.expanduser(workdir))
    state.set_workdir_called = True


def get_workdir() -> str | None:
    """The workdir (None means the current directory)."""
    return session.get_session_state().workdir


def _is_worker() -> bool:
    seamless = sys.modules.get("seamless")
    is_worker = getattr(seamless, "is_worker", None)
    return bool(is_worker()) if callable(is_worker) else False


def init(*, workdir: str | None = _UNSET) -> None:
    """Load the configuration and activate it, once (a no-op in Seamless workers).

    An explicit ``workdir`` is honoured; otherwise the caller's module directory is used
    unless set_workdir() was called.
    """
    state = session.get_session_state()
    if _is_worker() or state.initialized:
        return
    if workdir is not _UNSET:
        set_workdir(workdir)
    elif not state.set_workdir_called:
        set_workdir(session.caller_directory())
    set_stage(None)


def set_stage(
    stage: str | None = None, substage: str | None = None, *, workdir: str | None = _UNSET
) -> None:
    """Select stage and substage, reload the configuration and re-activate services on a change."""
    _refuse_if_frozen("set_stage()")
    state = session.get_session_state()
    if workdir is not _UNSET:
        set_workdir(workdir)
    elif not state.set_workdir_called:
        set_workdir(session.caller_directory())
    registry = select.get_selection_registry()
    previous, previous_clusters = registry.state.copy(), get_cluster_registry().current
    was_activated = state.activated if state.initialized else None
    activating = False
    try:
        select.select_stage(stage)
        select.select_substage(substage)
        config_files.load_config_files()
        activation.report_execution_requirements()
        if state.activated != (stage, substage) or not state.initialized:
            activating = True
            change_stage()
    except BaseException as exc:
        registry.commit(previous)
        get_cluster_registry().commit(previous_clusters)
        if activating:
            _restore_services(was_activated, exc)
        raise


def _restore_services(
    was_activated: tuple[str | None, str | None] | None, exc: BaseException
) -> None:
    """Undo a failed (possibly partial) service start: bring back what the old selection had."""
    try:
        if was_activated is None:
            activation.deactivate_all()
        else:
            activation.activate_selection()
    except Exception as restore_exc:  # noqa: BLE001 (the original error is re-raised with this one as a note)
        logger.warning("Restoring the services of the previous stage failed: %s", restore_exc)
        exc.add_note(f"Restoring the services of the previous stage failed too: {restore_exc}")


def set_substage(substage: str | None = None) -> None:
    """Change only the substage (it selects other job servers, never other storage)."""
    set_stage(select.get_stage(), substage)


def change_stage() -> None:
    """Activate services for the current selection, then mark the configuration initialized."""
    state = session.get_session_state()
    activation.activate_selection()
    state.activated = (select.get_stage(), select.get_substage())
    state.initialized = True


def set_nparallel(nparallel: int) -> None:
    """Limit the number of active transformations of parallel()."""
    select.select_nparallel(nparallel)


def get_nparallel() -> int:
    """The nparallel limit; ConfigurationError when it was never set."""
    value = select.get_nparallel()
    if value is None:
        raise ConfigurationError(
            "nparallel is not set",
            hint="Add `- nparallel: N` to seamless.yaml or call seamless_config.set_nparallel(N)",
        )
    return value


def reset() -> None:
    """Forget all configuration state (selection, clusters, tools, session, pure-Dask client); for tests."""
    pure_daskserver.get_pure_dask_registry().reset()
    select.get_selection_registry().reset()
    get_cluster_registry().reset()
    get_tool_registry().reset()
    get_launch_registry().reset()
    session.get_session_state().reset()
