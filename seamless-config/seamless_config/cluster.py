"""Cluster definitions (``~/.seamless/clusters*.yaml`` and ``clusters`` commands) and their registry.

The fields, their defaults and their meaning are declared in :mod:`seamless_config.schema`;
parsing is strict: an unknown field raises :class:`ClusterDefinitionError` naming the file,
the cluster and the field.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from . import schema
from .errors import ClusterDefinitionError, ConfigurationError, UnknownClusterError
from .names import check_name, launcher_directory, launcher_host, template_value
from .registries import register_registry

__all__ = [
    "Cluster",
    "ClusterRegistry",
    "DaskserverConfig",
    "DatabaseConfig",
    "Frontend",
    "HashserverConfig",
    "JobserverConfig",
    "Queue",
    "define_clusters",
    "get_cluster",
    "get_cluster_registry",
    "get_local_cluster",
    "parse_clusters",
]

CLUSTER_TYPES = ("local", "slurm", "oar")


@dataclass(frozen=True)
class HashserverConfig:
    bufferdir: str
    conda: str | None = None
    network_interface: str = "127.0.0.1"
    port_start: int | None = None
    port_end: int | None = None
    fast_path: bool = True


@dataclass(frozen=True)
class DatabaseConfig:
    database_dir: str
    conda: str | None = None
    network_interface: str = "127.0.0.1"
    port_start: int | None = None
    port_end: int | None = None


@dataclass(frozen=True)
class JobserverConfig:
    port_start: int
    port_end: int
    conda: str | None = None
    network_interface: str = "127.0.0.1"


@dataclass(frozen=True)
class DaskserverConfig:
    port_start: int
    port_end: int
    network_interface: str = "127.0.0.1"


@dataclass(frozen=True)
class Frontend:
    hostname: str
    ssh_hostname: str | None = None
    hashserver: HashserverConfig | None = None
    database: DatabaseConfig | None = None
    jobserver: JobserverConfig | None = None
    daskserver: DaskserverConfig | None = None


@dataclass(frozen=True)
class Queue:
    walltime: str
    memory: str
    unknown_task_duration: str
    target_duration: str
    maximum_jobs: int
    conda: str | None = None
    cores: int | None = None
    job_cores: int | None = None
    exclusive: bool = False
    interactive: bool = False
    project: str | None = None
    partition: str | None = None
    tmpdir: str | None = "/tmp"
    lifetime: str | None = None
    lifetime_stagger: str | None = "4m"
    extra_dask_config: dict[str, str] | None = None
    job_extra_directives: list[str] | None = None
    job_script_prologue: list[str] | None = None
    dask_resources: dict[str, Any] | None = None
    worker_threads: int | None = None
    processes: int | None = None
    killable: bool = False


@dataclass(frozen=True)
class Cluster:
    name: str
    frontends: list[Frontend]
    type: str | None = None
    tunnel: bool = False
    workers: int | None = None
    memory_per_core_property_name: str | None = None
    queues: dict[str, Queue] = field(default_factory=dict)
    default_queue: str | None = None


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "list": (list,),
    "mapping": (dict,),
}


def _expect(value: Any, kind: str, *, where: str, key: str, nullable: bool = True) -> Any:
    """Check one field value against a basic kind; bool is never accepted as int."""
    if value is None and nullable:
        return None
    ok = isinstance(value, _TYPES[kind]) and not (kind == "int" and isinstance(value, bool))
    if not ok:
        raise ClusterDefinitionError(
            f"expected {kind}",
            path=where,
            key=key,
            value=value,
            hint=f"Fix the field '{key}' in the cluster definition",
        )
    return value


def _check_fields(
    data: Any, table: dict[str, schema.Key], *, where: str, what: str
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ClusterDefinitionError(
            f"{what} must be a mapping",
            path=where,
            value=data,
        )
    unknown = sorted(str(k) for k in data if k not in table)
    if unknown:
        raise ClusterDefinitionError(
            f"unknown {what} field(s) {', '.join(unknown)}",
            path=where,
            hint=f"Allowed fields: {', '.join(sorted(table))}",
        )
    for name, key in table.items():
        if key.required and data.get(name) is None:
            raise ClusterDefinitionError(
                f"{what} field '{name}' is required ({key.description})",
                path=where,
            )
    return data


_FIELD_KINDS = {
    "conda": "str",
    "network_interface": "str",
    "port_start": "int",
    "port_end": "int",
    "bufferdir": "str",
    "fast_path": "bool",
    "database_dir": "str",
    "hostname": "str",
    "ssh_hostname": "str",
    "type": "str",
    "tunnel": "bool",
    "workers": "int",
    "memory_per_core_property_name": "str",
    "default_queue": "str",
    "walltime": "str",
    "memory": "str",
    "unknown_task_duration": "str",
    "target_duration": "str",
    "maximum_jobs": "int",
    "cores": "int",
    "job_cores": "int",
    "exclusive": "bool",
    "interactive": "bool",
    "project": "str",
    "partition": "str",
    "tmpdir": "str",
    "lifetime": "str",
    "lifetime_stagger": "str",
    "extra_dask_config": "mapping",
    "job_extra_directives": "list",
    "job_script_prologue": "list",
    "dask_resources": "mapping",
    "worker_threads": "int",
    "processes": "int",
    "killable": "bool",
    "TEMPLATE": "str",
}


_TEMPLATE_FIELDS = (
    "hostname",
    "ssh_hostname",
    "network_interface",
    "conda",
    "bufferdir",
    "database_dir",
)
"""Fields whose values go into remote-http-launcher launch dicts (checked by template_value)."""

_LAUNCHER_CHECKS = {
    "hostname": launcher_host,
    "ssh_hostname": launcher_host,
    "network_interface": launcher_host,
    "bufferdir": launcher_directory,
    "database_dir": launcher_directory,
}
"""What remote-http-launcher itself would refuse in these fields, checked when they are read."""

_FREE_TEXT_FIELDS = ("job_script_prologue",)
"""Shell lines by design: the user's own job-script prologue (multi-line items allowed)."""


def _checked(check: Any, *args: Any, where: str, key: str) -> Any:
    """Run a names check; re-raise its error as a ClusterDefinitionError naming file and field."""
    try:
        return check(*args)
    except ConfigurationError as exc:
        raise ClusterDefinitionError(
            exc.message, path=where, key=key, value=exc.value, hint=exc.hint
        ) from None


def _no_control_characters(value: Any, *, where: str, key: str) -> None:
    """Job-script values are single lines: a newline would start a new shell line."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and any(ord(c) < 32 or ord(c) == 127 for c in item):
            raise ClusterDefinitionError(
                "control characters (newlines) are not allowed in this field",
                path=where,
                key=key,
                value=item,
                hint="Configuration values are data; write one line per value",
            )


_MAPPING_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _safe_value(name: str, value: Any, *, where: str) -> None:
    if value is None:
        return
    if isinstance(value, dict):  # extra_dask_config, dask_resources: keys become shell words
        for key in value:
            if not isinstance(key, str) or not _MAPPING_KEY_RE.fullmatch(key):
                raise ClusterDefinitionError(
                    "keys must be made of letters, digits, '_', '.' and '-'",
                    path=where,
                    key=name,
                    value=key,
                    hint="Configuration values are data; rename the key",
                )
        return
    if name in _TEMPLATE_FIELDS:
        _checked(lambda v: template_value(v, what=name), value, where=where, key=name)
        launcher_check = _LAUNCHER_CHECKS.get(name)
        if launcher_check is not None:
            _checked(lambda v: launcher_check(v, what=name), value, where=where, key=name)
    elif name not in _FREE_TEXT_FIELDS:
        _no_control_characters(value, where=where, key=name)


def _typed(data: dict[str, Any], table: dict[str, schema.Key], *, where: str) -> dict[str, Any]:
    """Type-check the given fields and fill in the schema defaults for the missing ones."""
    result = {}
    for name, key in table.items():
        if name in data:
            result[name] = _expect(data[name], _FIELD_KINDS[name], where=where, key=name)
            _safe_value(name, result[name], where=where)
        elif not key.required:
            result[name] = copy.deepcopy(key.default)
    return result


def _parse_service(data: Any, table: dict[str, schema.Key], cls: type, *, where: str) -> Any:
    _check_fields(data, table, where=where, what="service")
    values = _typed(data, table, where=where)
    if values.get("network_interface") is None:
        values["network_interface"] = table["network_interface"].default
    start, end = values.get("port_start"), values.get("port_end")
    if (start is None) != (end is None):
        raise ClusterDefinitionError(
            "port_start and port_end must be given together",
            path=where,
        )
    if start is not None and end is not None:  # both or neither (checked above)
        for name, port in (("port_start", start), ("port_end", end)):
            if not 1 <= port <= 65535:
                raise ClusterDefinitionError(
                    "a port must be between 1 and 65535", path=where, key=name, value=port
                )
        if start > end:
            raise ClusterDefinitionError(
                f"port_start ({start}) is greater than port_end ({end}), so the range is empty",
                path=where,
                hint="Swap the two values",
            )
    return cls(**values)


# A size as dask.utils.parse_bytes reads it: a number, then an optional unit (kB, MiB, G, ...).
_MEMORY = re.compile(r"(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*([kmgtp]i?)?b?", re.IGNORECASE)


def _check_memory(value: str, *, where: str) -> None:
    if not _MEMORY.fullmatch(value.strip()):
        raise ClusterDefinitionError(
            "memory is not a size",
            path=where,
            key="memory",
            value=value,
            hint="Write a number with a unit, such as 8GB, 8GiB or 2000MB",
        )


_SERVICES = {
    "hashserver": (schema.HASHSERVER, HashserverConfig),
    "database": (schema.DATABASE, DatabaseConfig),
    "jobserver": (schema.JOBSERVER, JobserverConfig),
    "daskserver": (schema.DASKSERVER, DaskserverConfig),
}


def _parse_frontend(data: Any, *, cluster_type: str | None, where: str) -> Frontend:
    if isinstance(data, dict) and data.get("hostname") is None and cluster_type == "local":
        data = {**data, "hostname": "localhost"}
    _check_fields(data, schema.FRONTEND, where=where, what="frontend")
    values: dict[str, Any] = {
        "hostname": _expect(data["hostname"], "str", where=where, key="hostname"),
        "ssh_hostname": _expect(data.get("ssh_hostname"), "str", where=where, key="ssh_hostname"),
    }
    for name in ("hostname", "ssh_hostname"):
        _safe_value(name, values[name], where=where)
    for service, (table, cls) in _SERVICES.items():
        if data.get(service) is not None:
            values[service] = _parse_service(data[service], table, cls, where=f"{where}.{service}")
    return Frontend(**values)


def _parse_queues(data: Any, *, cluster_type: str | None, where: str) -> dict[str, Queue]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ClusterDefinitionError(
            "queues must be a mapping name -> queue", path=where, value=data
        )
    queues: dict[str, Queue] = {}
    raw_by_name: dict[str, dict[str, Any]] = {}
    for name, raw in data.items():
        qwhere = f"{where}.{name}"
        _checked(check_name, "queue", name, where=where, key=f"queue '{name}'")
        if not isinstance(raw, dict):
            raise ClusterDefinitionError("a queue must be a mapping", path=qwhere, value=raw)
        given = {str(k).replace("-", "_"): v for k, v in raw.items()}
        template = given.pop("TEMPLATE", None)
        if template is not None:
            if template not in raw_by_name:
                raise ClusterDefinitionError(
                    f"TEMPLATE '{template}' is not an earlier queue of this cluster",
                    path=qwhere,
                    hint=f"Earlier queues: {', '.join(raw_by_name) or '(none)'}",
                )
            merged = {**raw_by_name[template], **given}
        else:
            merged = given
        table = {k: v for k, v in schema.QUEUE.items() if k != "TEMPLATE"}
        _check_fields(merged, table, where=qwhere, what="queue")
        values = _typed(merged, table, where=qwhere)
        # Without TEMPLATE, omitted optional fields keep their declared defaults (tmpdir, ...);
        # with TEMPLATE they come from the template; an explicit null clears a field.
        raw_by_name[name] = {k: v for k, v in values.items()}
        _check_memory(values["memory"], where=qwhere)
        if values["exclusive"]:
            if values["job_cores"] is not None:
                raise ClusterDefinitionError(
                    "an exclusive queue must not set job_cores",
                    path=qwhere,
                )
            if values["cores"] is None and cluster_type == "local":
                raise ClusterDefinitionError(
                    "an exclusive queue on a local cluster needs cores",
                    path=qwhere,
                )
        elif values["cores"] is None and cluster_type != "local":
            raise ClusterDefinitionError(
                "queue field 'cores' is required (unless the queue is exclusive or the cluster type is local)",
                path=qwhere,
            )
        queues[name] = Queue(**values)
    return queues


def _parse_cluster(name: str, data: Any, *, where: str) -> Cluster:
    _check_fields(data, schema.CLUSTER, where=where, what="cluster")
    ctype = _expect(data.get("type"), "str", where=where, key="type")
    if ctype is not None and ctype not in CLUSTER_TYPES:
        raise ClusterDefinitionError(
            f"cluster type must be one of {', '.join(CLUSTER_TYPES)}",
            path=where,
            key="type",
            value=ctype,
        )
    frontends = data["frontends"]
    if not isinstance(frontends, list) or not frontends:
        raise ClusterDefinitionError(
            "frontends must be a non-empty list", path=where, value=frontends
        )
    values = _typed(
        {k: v for k, v in data.items() if k not in ("frontends", "queues")},
        {k: v for k, v in schema.CLUSTER.items() if k not in ("frontends", "queues")},
        where=where,
    )
    queues = _parse_queues(data.get("queues"), cluster_type=ctype, where=f"{where}.queues")
    if values.get("default_queue") is not None:
        _checked(check_name, "queue", values["default_queue"], where=where, key="default_queue")
    default_queue = values.get("default_queue")
    if default_queue is not None and default_queue not in queues:
        raise ClusterDefinitionError(
            "default_queue names no queue of this cluster",
            path=where,
            key="default_queue",
            value=default_queue,
            hint=f"Queues of this cluster: {', '.join(queues) or '(none)'}",
        )
    return Cluster(
        name=name,
        frontends=[
            _parse_frontend(f, cluster_type=ctype, where=f"{where}.frontends[{i}]")
            for i, f in enumerate(frontends)
        ],
        queues=queues,
        **values,
    )


@dataclass
class ClusterSet:
    """Parsed cluster definitions plus the local cluster name."""

    clusters: dict[str, Cluster] = field(default_factory=dict)
    local_cluster: str | None = None


def parse_clusters(
    definitions: dict[str, Any], *, origins: dict[str, str] | None = None
) -> ClusterSet:
    """Parse a merged cluster mapping; ``origins`` maps each cluster name to the file it came from."""
    if not isinstance(definitions, dict):
        raise ClusterDefinitionError("cluster definitions must be a mapping", value=definitions)
    origins = origins or {}
    result = ClusterSet()
    for name, data in definitions.items():
        if name == "local_cluster":
            continue
        if not isinstance(name, str):
            raise ClusterDefinitionError("cluster names must be strings", value=name)
        origin = origins.get(name, "<clusters>")
        _checked(check_name, "cluster", name, where=origin, key=f"cluster {name!r}")
        where = f"{origin}: cluster '{name}'"
        result.clusters[name] = _parse_cluster(name, data, where=where)
    local = definitions.get("local_cluster")
    if local is not None:
        if not isinstance(local, str) or local not in result.clusters:
            raise ClusterDefinitionError(
                "local_cluster must name a defined cluster",
                path=origins.get("local_cluster", "<clusters>"),
                key="local_cluster",
                value=local,
                hint=f"Defined clusters: {', '.join(result.clusters) or '(none)'}",
            )
        result.local_cluster = local
    return result


class ClusterRegistry:
    """The defined clusters and the local cluster; replaced as a whole by define_clusters()."""

    def __init__(self) -> None:
        self.current = ClusterSet()

    def reset(self) -> None:
        self.current = ClusterSet()

    def commit(self, clusters: ClusterSet) -> None:
        self.current = clusters


_cluster_registry = register_registry("seamless_config.cluster", ClusterRegistry())


def get_cluster_registry() -> ClusterRegistry:
    """The process-wide cluster registry."""
    return _cluster_registry


def define_clusters(definitions: dict[str, Any], *, origins: dict[str, str] | None = None) -> None:
    """Replace all cluster definitions (and the local cluster, reset when the key is absent)."""
    _cluster_registry.commit(parse_clusters(definitions, origins=origins))


def get_cluster(name: str) -> Cluster:
    """The definition of cluster ``name``; UnknownClusterError (a KeyError) if undefined."""
    try:
        return _cluster_registry.current.clusters[name]
    except KeyError:
        defined = ", ".join(sorted(_cluster_registry.current.clusters)) or "(none)"
        raise UnknownClusterError(
            f"cluster '{name}' is not defined",
            hint=f"Define it in ~/.seamless/clusters.yaml or with a `clusters:` command; defined: {defined}",
        ) from None


def get_local_cluster() -> str | None:
    """Name of the cluster that runs on this machine, or None."""
    return _cluster_registry.current.local_cluster


def __getattr__(name: str) -> Any:
    if name == "_local_cluster":  # Seamless 1.x private global, read live
        return _cluster_registry.current.local_cluster
    raise AttributeError(name)
