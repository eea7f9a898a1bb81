"""The pure-Dask policy: when the mode is active, which settings chose it, and what it requires
(the remote target of a cluster, :func:`check_remote_redundancy`, which it relies on).

Pure-Dask mode: a cluster is selected, execution is remote and persistent is false. Only a Dask
server is launched (:mod:`seamless_config.pure_daskserver`), with no hashserver and no database,
so Seamless transformations are refused (seamless_transformer's guard asks
:func:`pure_dask_reason`). The remote target must then be a daskserver. These functions are
also exported by :mod:`seamless_config.select`, where Seamless 1.x code finds them.
"""

from __future__ import annotations

from typing import Any

from . import cluster as _cluster
from .errors import ConfigurationError, PureDaskModeError
from .selection_state import current_state

__all__ = [
    "check_remote_redundancy",
    "is_pure_dask_mode",
    "pure_dask_reason",
    "require_daskserver_target",
]


def check_remote_redundancy(cluster: str) -> str | None:
    """The remote target for ``cluster``: the selected one, else the only job server it has.

    Raises ConfigurationError when the cluster has both a jobserver and a daskserver and no
    ``remote`` was selected.
    """
    remote: str | None = current_state().values["remote"]
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
    state = current_state()
    return (
        state.values["cluster"] is not None
        and state.execution() == "remote"
        and not state.persistent()
    )


def _describe(name: str, value: Any) -> str:
    state = current_state()
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
    state = current_state()
    return (
        "pure-Dask mode is selected by "
        + ", ".join(
            [
                _describe("cluster", state.values["cluster"]),
                _describe("execution", state.execution()),
                _describe("persistent", state.persistent()),
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
