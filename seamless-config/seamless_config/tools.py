"""Launch dictionaries for remote-http-launcher, built from the templates in ``tools.yaml``.

Templating happens in two stages, exactly as in Seamless 1.x, so that launch keys match:
here every ``$IDENT`` of a ``*_template`` value is replaced by an injected value; later the
launcher evaluates the remaining ``{...}`` f-string parts (key, command, workdir).
"""

from __future__ import annotations

import copy
import re
import string
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import yaml

from . import select
from .cluster import Cluster, Frontend, Queue, get_cluster, get_local_cluster
from .errors import ConfigurationError
from .names import check_name, template_value
from .registries import register_registry
from .seamless_cache import SEAMLESS_CACHE_CLUSTER, cache_key_label

__all__ = [
    "CLUSTER_STRINGS",
    "DOLLAR_RE",
    "configure_daskserver",
    "configure_database",
    "configure_hashserver",
    "configure_jobserver",
    "configure_pure_daskserver",
    "define_tools",
    "get_tool_registry",
    "load_builtin_tools",
]

DOLLAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
"""A ``$IDENT`` token of a template: '$', a letter or underscore, then word characters."""

CLUSTER_STRINGS = {
    "local": "distributed::LocalCluster",
    "slurm": "dask_jobqueue::SLURMCluster",
    "oar": "dask_jobqueue::OARCluster",
}

_OPTIONAL_ADDED = (
    "hostname",
    "ssh_hostname",
    "network_interface",
    "conda",
    "port_start",
    "port_end",
)


class ToolRegistry:
    """The tool templates (from tools.yaml unless define_tools() replaced them)."""

    def __init__(self) -> None:
        self.tools: dict[str, dict[str, Any]] | None = None

    def reset(self) -> None:
        self.tools = None

    def get(self) -> dict[str, dict[str, Any]]:
        if self.tools is None:
            self.tools = load_builtin_tools()
        return self.tools


_tool_registry = register_registry("seamless_config.tools", ToolRegistry())


def get_tool_registry() -> ToolRegistry:
    """The process-wide tool registry."""
    return _tool_registry


def load_builtin_tools() -> dict[str, dict[str, Any]]:
    """Parse the packaged tools.yaml."""
    text = resources.files(__package__).joinpath("tools.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def define_tools(tools: dict[str, dict[str, Any]]) -> None:
    """Replace the tool templates (a mapping tool name -> entry, as in tools.yaml)."""
    if not isinstance(tools, dict) or not all(isinstance(v, dict) for v in tools.values()):
        raise ConfigurationError("tools must be a mapping of tool name -> mapping", value=tools)
    _tool_registry.tools = copy.deepcopy(tools)


# ``$IDENT`` only; the other groups string.Template requires never match
_DOLLAR_TEMPLATE_PATTERN = (
    r"\$(?:(?P<named>[A-Za-z_][A-Za-z0-9_]*)|(?P<escaped>(?!))|(?P<braced>(?!))|(?P<invalid>(?!)))"
)


class _DollarTemplate(string.Template):
    """``$IDENT`` only, as in Seamless 1.x: ``${...}`` and ``$$`` are left alone, since the
    launcher later evaluates ``{...}`` as f-string parts and commands may hold shell ``$``."""

    # a string, which Template.__init_subclass__ compiles (the documented way to override it);
    # typeshed types the attribute as the compiled pattern
    pattern = _DOLLAR_TEMPLATE_PATTERN  # type: ignore[assignment]


class _CheckedValues(Mapping[str, str]):
    """The injected values, each checked by ``template_value`` when the template uses it."""

    def __init__(self, injected: dict[str, Any], *, tool: str, key: str) -> None:
        self._injected, self._tool, self._key = injected, tool, key

    def __iter__(self) -> Iterator[str]:
        return iter(self._injected)

    def __len__(self) -> int:
        return len(self._injected)

    def __getitem__(self, name: str) -> str:
        if name not in self._injected:
            raise ConfigurationError(
                f"template variable ${name} is not injected",
                key=f"{self._tool}.{self._key}",
                hint=f"INJECTED must list it; injected: {', '.join(self._injected)}",
            )
        return template_value(self._injected[name], what=f"{self._tool}.{self._key} ${name}")


def _substitute(template: str, injected: dict[str, Any], *, tool: str, key: str) -> str:
    """Replace every ``$IDENT`` of ``template`` by its (checked) injected value."""
    values = _CheckedValues(injected, tool=tool, key=key)
    return _DollarTemplate(template).substitute(values)


def _render(tool: str, added: dict[str, Any], injected: dict[str, Any]) -> dict[str, Any]:
    """Stage one of the templating: copy ADDED values, substitute $IDENT in *_template values."""
    entry = _tool_registry.get().get(tool)
    if entry is None:
        raise ConfigurationError(f"unknown tool '{tool}'", hint="Define it in tools.yaml")
    for name in entry.get("ADDED", []):
        if name not in added:
            raise ValueError(f"tool '{tool}': builder did not supply ADDED key '{name}'")
    for name in entry.get("INJECTED", []):
        if name not in injected:
            raise ValueError(f"tool '{tool}': builder did not supply INJECTED variable '{name}'")
    result: dict[str, Any] = {name: added[name] for name in entry.get("ADDED", [])}
    for name, value in added.items():
        result.setdefault(name, value)
    for name, value in result.items():
        # the command template reads these values: keep f-string syntax out of them too
        if isinstance(value, str):
            template_value(value, what=f"{tool}.{name}")
    for key, value in entry.items():
        if key in ("ADDED", "INJECTED"):
            continue
        if key.endswith("_template"):
            result[key[: -len("_template")]] = _substitute(value, injected, tool=tool, key=key)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _finish(result: dict[str, Any], cluster: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Drop what the launcher must not see: host keys for the local cluster, unset optionals."""
    if cluster == get_local_cluster():
        for key in ("hostname", "ssh_hostname", "tunnel"):
            result.pop(key, None)
    if not result.get("tunnel"):
        result.pop("tunnel", None)
    for key in _OPTIONAL_ADDED:
        if key in result and result[key] is None:
            del result[key]
    result["meta"] = {k: v for k, v in meta.items() if v is not None}
    return result


def _frontend(definition: Cluster, service: str, frontend_name: str | None) -> Frontend:
    for frontend in definition.frontends:
        if getattr(frontend, service) is None:
            continue
        if frontend_name is None or frontend.hostname == frontend_name:
            return frontend
    which = f" named '{frontend_name}'" if frontend_name else ""
    raise ConfigurationError(
        f"cluster '{definition.name}' has no frontend{which} with a {service}",
        hint=f"Add a `{service}:` section to a frontend of cluster '{definition.name}'",
    )


def _key_cluster(cluster: str, directory: str | None) -> str:
    if cluster == SEAMLESS_CACHE_CLUSTER and directory is not None:
        return cache_key_label(directory)
    return cluster


def _paths(
    project: str, subproject: str | None, stage: str | None, substage: str | None
) -> dict[str, str]:
    check_name("project", project)
    for kind, value in (("subproject", subproject), ("stage", stage), ("substage", substage)):
        if value is not None:
            check_name(kind, value)
    projectsubdir = f"/{project}" + (f"/{subproject}" if subproject else "")
    stagedir = f"/STAGE-{stage}" if stage else ""
    stagesubdir = stagedir + (f"SUBSTAGE-{substage}" if substage else "")
    return {"PROJECTSUBDIR": projectsubdir, "STAGEDIR": stagedir, "STAGESUBDIR": stagesubdir}


def _host_keys(definition: Cluster, frontend: Frontend) -> dict[str, Any]:
    keys: dict[str, Any] = {"tunnel": definition.tunnel, "hostname": frontend.hostname}
    if frontend.ssh_hostname is not None:
        keys["ssh_hostname"] = frontend.ssh_hostname
    return keys


def _storage(
    service: str,
    mode: str,
    *,
    cluster: str | None,
    project: str | None,
    subproject: str | None,
    stage: str | None,
    frontend_name: str | None,
) -> dict[str, Any]:
    if mode not in ("ro", "rw"):
        raise ConfigurationError("mode must be 'ro' or 'rw'", key="mode", value=mode)
    cluster, project, subproject, stage, _ = select.get_current(
        cluster, project, subproject, stage, ""
    )
    definition = get_cluster(check_name("cluster", cluster))
    frontend = _frontend(definition, service, frontend_name)
    config = getattr(frontend, service)
    directory = config.bufferdir if service == "hashserver" else config.database_dir
    added = {
        **_host_keys(definition, frontend),
        "network_interface": config.network_interface,
        "conda": config.conda,
        "port_start": config.port_start,
        "port_end": config.port_end,
    }
    paths = _paths(project, subproject, stage, None)
    injected = {
        "CLUSTER": _key_cluster(cluster, directory),
        "BUFFERDIR" if service == "hashserver" else "DATABASE_DIR": directory,
        "PROJECTSUBDIR": paths["PROJECTSUBDIR"],
        "STAGEDIR": paths["STAGEDIR"],
        "MODE": mode,
    }
    meta = {
        "service": service,
        "cluster": cluster,
        "mode": mode,
        "project": project,
        "subproject": subproject,
        "stage": stage,
    }
    return _finish(_render(service, added, injected), cluster, meta)


def configure_hashserver(
    mode: str,
    *,
    cluster: str | None = None,
    project: str | None = None,
    subproject: str | None = None,
    stage: str | None = None,
    frontend_name: str | None = None,
) -> dict[str, Any]:
    """Launch dict of the hashserver (buffer server) for the selection; mode 'ro' or 'rw'."""
    return _storage(
        "hashserver",
        mode,
        cluster=cluster,
        project=project,
        subproject=subproject,
        stage=stage,
        frontend_name=frontend_name,
    )


def configure_database(
    mode: str,
    *,
    cluster: str | None = None,
    project: str | None = None,
    subproject: str | None = None,
    stage: str | None = None,
    frontend_name: str | None = None,
) -> dict[str, Any]:
    """Launch dict of the result database for the selection; mode 'ro' or 'rw'."""
    return _storage(
        "database",
        mode,
        cluster=cluster,
        project=project,
        subproject=subproject,
        stage=stage,
        frontend_name=frontend_name,
    )


def configure_jobserver(
    *,
    cluster: str | None = None,
    project: str | None = None,
    subproject: str | None = None,
    stage: str | None = None,
    substage: str | None = None,
    frontend_name: str | None = None,
    remote_clients: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Launch dict of the job server; its file_parameters carry the remote clients and record.

    ``remote_clients`` defaults to collect_remote_clients(cluster), which imports seamless_remote.
    """
    cluster, project, subproject, stage, substage = select.get_current(
        cluster, project, subproject, stage, substage
    )
    definition = get_cluster(check_name("cluster", cluster))
    if definition.workers is None:
        raise ConfigurationError(
            f"cluster '{cluster}' has no 'workers'",
            hint="The jobserver needs `workers: N` in the cluster definition",
        )
    frontend = _frontend(definition, "jobserver", frontend_name)
    config = frontend.jobserver
    assert config is not None
    if remote_clients is None:
        from .extern_clients import collect_remote_clients

        remote_clients = collect_remote_clients(cluster)
    file_parameters = {**remote_clients, "record": select.get_record()}
    added = {
        **_host_keys(definition, frontend),
        "workers": definition.workers,
        "network_interface": config.network_interface,
        "conda": config.conda,
        "port_start": config.port_start,
        "port_end": config.port_end,
        "file_parameters": file_parameters,
    }
    injected = {"CLUSTER": cluster, "MODE": "rw", **_paths(project, subproject, stage, substage)}
    meta = {
        "service": "jobserver",
        "cluster": cluster,
        "mode": "rw",
        "project": project,
        "subproject": subproject,
        "stage": stage,
        "substage": substage,
    }
    return _finish(_render("jobserver", added, injected), cluster, meta)


def _cluster_string(definition: Cluster) -> str:
    try:
        # a type of None is a KeyError too, answered below (mypy: None is not a str key)
        return CLUSTER_STRINGS[definition.type]  # type: ignore[index]
    except KeyError:
        raise ConfigurationError(
            f"cluster '{definition.name}' needs a type for a Dask server",
            key="type",
            value=definition.type,
            hint=f"Set `type:` to one of {', '.join(CLUSTER_STRINGS)}",
        ) from None


def _queue(definition: Cluster, queue: str | None) -> tuple[str, Queue]:
    name = queue or select.get_queue(definition.name) or definition.default_queue
    if name is not None:
        check_name("queue", name)
    if name is None:
        raise ConfigurationError(
            f"no queue selected and cluster '{definition.name}' has no default_queue",
            hint="Add `- queue: NAME` after `- cluster:` or `default_queue:` to the cluster",
        )
    if name not in definition.queues:
        raise ConfigurationError(
            f"cluster '{definition.name}' has no queue '{name}'",
            hint=f"Defined queues: {', '.join(definition.queues) or '(none)'}",
        )
    return name, definition.queues[name]


def _dask_parameters(definition: Cluster, queue: Queue, *, pure: bool) -> dict[str, Any]:
    """file_parameters of the Dask wrapper (hyphenated keys are Dask-level settings)."""
    cores = queue.cores
    if cores is None and definition.type == "local":
        cores = definition.workers
    job_cores = queue.job_cores
    extra = list(queue.job_extra_directives or [])
    resource_spec = None
    if queue.exclusive:
        if cores is not None:
            job_cores = cores
        elif definition.type == "slurm":
            if "--exclusive" not in extra:
                extra.append("--exclusive")
        elif definition.type == "oar":
            resource_spec = "/nodes=1"
    node = select.get_node()
    if node is not None:
        if definition.type == "slurm":
            directive = f"--nodelist={node}"
            if directive not in extra:
                extra.append(directive)
        elif definition.type == "oar":
            directive = f"-p host='{node}'"
            if directive not in extra:
                extra.append(directive)
        else:
            raise ConfigurationError(
                f"node selection needs a slurm or oar cluster; '{definition.name}' has type {definition.type!r}",
                key="node",
                value=node,
                hint="Remove the `node` command",
            )
    worker_threads = queue.worker_threads
    maximum_jobs = queue.maximum_jobs
    if pure:
        if worker_threads is None:
            worker_threads = 2
        if maximum_jobs is None and definition.type == "local":
            maximum_jobs = definition.workers
    params: dict[str, Any] = {
        "walltime": queue.walltime,
        "exclusive": queue.exclusive,
        "cores": cores,
        "job_cores": job_cores,
        "memory": queue.memory,
        "tmpdir": queue.tmpdir,
        "partition": queue.partition,
        "job_extra_directives": extra or None,
        "resource_spec": resource_spec,
        "project": queue.project,
        "memory_per_core_property_name": definition.memory_per_core_property_name,
        "job_script_prologue": queue.job_script_prologue,
        "worker_threads": worker_threads,
        "processes": queue.processes,
        "unknown-task-duration": queue.unknown_task_duration,
        "target-duration": queue.target_duration,
        "lifetime-stagger": queue.lifetime_stagger,
        "lifetime": queue.lifetime,
        "dask-resources": queue.dask_resources,
        "interactive": queue.interactive,
        "maximum_jobs": maximum_jobs,
        "extra_dask_config": queue.extra_dask_config,
    }
    if pure:
        params["pure_dask"] = True
    else:
        params["record"] = select.get_record()
        if queue.killable:  # only when asked for: the parameters stay those of 1.x otherwise
            params["killable"] = True
    return {k: copy.deepcopy(v) for k, v in params.items() if v is not None}


def _dask_added(
    definition: Cluster, frontend: Frontend, queue: Queue, params: dict[str, Any]
) -> dict[str, Any]:
    config = frontend.daskserver
    assert config is not None
    return {
        **_host_keys(definition, frontend),
        "cluster_string": _cluster_string(definition),
        "network_interface": config.network_interface,
        "conda": queue.conda,
        "port_start": config.port_start,
        "port_end": config.port_end,
        "file_parameters": params,
    }


def configure_daskserver(
    *,
    cluster: str | None = None,
    project: str | None = None,
    subproject: str | None = None,
    stage: str | None = None,
    substage: str | None = None,
    frontend_name: str | None = None,
) -> dict[str, Any]:
    """Launch dict of the Seamless Dask server (seamless-dask-wrapper) for the selection."""
    cluster, project, subproject, stage, substage = select.get_current(
        cluster, project, subproject, stage, substage
    )
    definition = get_cluster(check_name("cluster", cluster))
    frontend = _frontend(definition, "daskserver", frontend_name)
    queue_name, queue = _queue(definition, None)
    params = _dask_parameters(definition, queue, pure=False)
    injected = {"CLUSTER": cluster, "MODE": "rw", **_paths(project, subproject, stage, substage)}
    meta = {
        "service": "daskserver",
        "cluster": cluster,
        "mode": "rw",
        "project": project,
        "subproject": subproject,
        "stage": stage,
        "substage": substage,
        "queue": queue_name,
    }
    return _finish(
        _render("daskserver", _dask_added(definition, frontend, queue, params), injected),
        cluster,
        meta,
    )


def configure_pure_daskserver(
    *,
    cluster: str | None = None,
    queue: str | None = None,
    frontend_name: str | None = None,
) -> dict[str, Any]:
    """Launch dict of a plain Dask server (pure-Dask mode): key ``pure-daskserver-<cluster>-<queue>``.

    No project or stage takes part in the key; the queue is the explicit one, else the
    selected one, else the cluster's default_queue.
    """
    cluster = cluster if cluster is not None else select.get_selected_cluster()
    if cluster is None:
        raise ConfigurationError(
            "No cluster defined", hint="Add `- cluster: NAME` to seamless.yaml"
        )
    definition = get_cluster(check_name("cluster", cluster))
    frontend = _frontend(definition, "daskserver", frontend_name)
    queue_name, queue_def = _queue(definition, queue)
    params = _dask_parameters(definition, queue_def, pure=True)
    injected = {"CLUSTER": cluster, "QUEUE": queue_name}
    meta = {"service": "pure-daskserver", "cluster": cluster, "queue": queue_name}
    return _finish(
        _render("pure_daskserver", _dask_added(definition, frontend, queue_def, params), injected),
        cluster,
        meta,
    )
