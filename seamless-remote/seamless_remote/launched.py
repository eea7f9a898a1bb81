"""Launched services: start or reconnect a hashserver / database through remote-http-launcher.

The launch dict comes from seamless-config (`tools.configure_hashserver(mode)` /
`configure_database(mode)`, filled from the current selection); seamless-config's
`launching.launch` runs remote-http-launcher under a per-service lock, which reuses a running
service or starts one. Payloads are cached per launch dict; `relaunch` bypasses the cache when
a service went away (e.g. after its inactivity timeout).
"""

from __future__ import annotations

import os
from typing import Any

from .errors import LaunchError
from .registry import LaunchedService

__all__ = ["launch_service", "relaunch", "run_launcher"]

_BUILDERS = {"hashserver": "configure_hashserver", "database": "configure_database"}


def run_launcher(conf: dict[str, Any], *, fresh: bool = False) -> dict[str, Any]:
    """Launch or reconnect through seamless-config's launch lock; memoised per launch dict.

    With `fresh` the memo is bypassed (the service went away); threads and processes that
    find the same dead service at once relaunch it once (`seamless_config.launching`).
    """
    from seamless_config import errors, launching

    try:
        return launching.launch(conf, fresh=fresh)
    except errors.LaunchError as exc:
        raise LaunchError(str(conf.get("key")), reason=str(exc)) from None


def _urls(conf: dict[str, Any], payload: dict[str, Any]) -> tuple[str, str]:
    url = f"http://{payload.get('hostname') or 'localhost'}:{payload['port']}"
    if "tunneled-port" in payload:
        host = payload.get("tunneled-network-interface") or payload.get("tunneled-host")
        return url, f"http://{host}:{payload['tunneled-port']}"
    return url, url


def _directories(conf: dict[str, Any], tool: str) -> tuple[str | None, str | None]:
    if tool != "hashserver":
        return None, None
    workdir = conf.get("workdir")
    if not isinstance(workdir, str) or "{" in workdir:
        return None, None
    local = "hostname" not in conf
    directory = os.path.expanduser(workdir) if local else None
    return directory, workdir


def _fast_path_setting(tool: str, cluster: str | None) -> bool:
    """The cluster's hashserver `fast_path` setting (False if any of its hashservers says so)."""
    if tool != "hashserver" or cluster is None:
        return False
    from seamless_config.cluster import get_cluster

    servers = [f.hashserver for f in get_cluster(cluster).frontends if f.hashserver is not None]
    return all(getattr(server, "fast_path", True) for server in servers)


def launch_service(tool: str, *, readonly: bool, fresh: bool = False) -> LaunchedService:
    """Start or reconnect the `tool` service of the currently selected cluster/project/stage."""
    from seamless_config import select, tools

    builder = getattr(tools, _BUILDERS[tool])
    conf = builder("ro" if readonly else "rw")
    payload = run_launcher(conf, fresh=fresh)
    url, remote_url = _urls(conf, payload)
    directory, remote_directory = _directories(conf, tool)
    cluster = select.get_selected_cluster()
    return LaunchedService(
        tool=tool,
        cluster=cluster,
        key=str(conf.get("key")),
        readonly=readonly,
        url=url,
        remote_url=remote_url,
        directory=directory,
        remote_directory=remote_directory,
        conf=conf,
        fast_path=_fast_path_setting(tool, cluster),
    )


def relaunch(service: LaunchedService) -> str:
    """Reconnect (or restart) a launched service, bypassing the payload cache; its new URL."""
    payload = run_launcher(service.conf, fresh=True)
    return _urls(service.conf, payload)[0]
