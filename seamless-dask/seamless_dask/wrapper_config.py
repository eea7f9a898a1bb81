"""From the launcher's ``file_parameters`` to a Dask cluster configuration. Pure, no I/O.

The wrapper (``seamless-dask-wrapper``) reads ``parameters`` from its status file (built by
seamless_config's ``configure_daskserver`` / ``configure_pure_daskserver``) and turns them into
keyword arguments for ``distributed.LocalCluster`` or a dask-jobqueue cluster, Dask config keys,
and environment exports for the workers.

Seamless mode (default): one Dask worker process per job; N = ``cores`` Seamless workers, each
running up to T (transformation throttle, default 3) transformations, so ``N x T`` threads and an
``S`` resource of N. With ``processes: P`` the job's cores are shared out: each of the P worker
processes gets N = cores // P Seamless workers (and ``N x T`` threads unless ``worker_threads`` is
given). Transformations run in worker threads, so pure-Python code that holds the GIL uses one
core per worker process: ``processes: <cores>`` gives it every core.

``killable: true`` (the queue's key): the workers run the code of each transformation in a
Seamless worker process that cancel and timeouts terminate (``seamless-dask.killable``, exported
to the workers with the other ``seamless-dask.*`` keys; see :mod:`seamless_dask.killable`).

Pure-Dask mode (``pure_dask: true``): no throttle, no S resource, and no thread or process
override unless ``worker_threads`` / ``processes`` are given.

Job scripts (SLURM, OAR) are shell scripts, so configuration values are data there too: values
on the worker command line (``tmpdir``, resources) are double-quoted by :func:`shell_word`, which
keeps ``$VAR`` / ``${VAR}`` expanding but makes ``$(...)``, backticks, quotes and spaces inert;
``#SBATCH`` / ``#OAR`` header values are never run by the shell and may not contain newlines;
exported variable names must be identifiers. ``job_script_prologue`` lines are the user's own
shell code, by design. The worker's ``--nthreads`` and ``--name`` come from dask-jobqueue
alone (its ``cores`` is threads x processes; the batch request uses ``job_cores``).
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dask.utils import parse_bytes

from .errors import WrapperConfigError

CLUSTER_SYSTEMS = {
    "distributed::LocalCluster": "local",
    "dask_jobqueue::SLURMCluster": "slurm",
    "dask_jobqueue::OARCluster": "oar",
    "dask_jobqueue::PBSCluster": "pbs",
    "dask_jobqueue::SGECluster": "sge",
    "dask_jobqueue::LSFCluster": "lsf",
    "dask_jobqueue::HTCondorCluster": "htcondor",
    "dask_jobqueue::MoabCluster": "moab",
}
DEFAULT_TRANSFORMATION_THROTTLE = 3
DEFAULTS = {
    "tmpdir": "/tmp",
    "lifetime-stagger": "4m",
    "unknown-task-duration": "1m",
    "target-duration": "10m",
    "maximum_jobs": 1,
}
DASK_ENV_PREFIXES = ("distributed.worker.", "distributed.scheduler.", "distributed.nanny.")


_SHELL_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_SHELL_VARIABLE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def shell_word(text: str) -> str:
    """``text`` as one shell word: ``$VAR`` and ``${VAR}`` still expand, nothing else is code.

    Plain words stay as they are; anything else is double-quoted with ``"``, ``\\``, backticks
    and every other ``$`` escaped, so ``$(...)`` and backticks are inert. Newlines are refused
    by the caller (a job script line stays one line).
    """
    if _SHELL_SAFE.fullmatch(text):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        match = _SHELL_VARIABLE.match(text, i)
        if match:
            out.append(match.group())
            i = match.end()
            continue
        char = text[i]
        out.append("\\" + char if char in '"\\`$' else char)
        i += 1
    return '"' + "".join(out) + '"'


def _single_line(value: Any, *, key: str, path: str | None) -> str:
    text = str(value)
    if _has_control_characters(text):
        raise WrapperConfigError(
            key=key,
            value=value,
            problem="may not contain newlines or other control characters (job-script value)",
            path=path,
        )
    return text


@dataclass(frozen=True)
class WrapperConfig:
    """Everything the wrapper needs to start the cluster (see module docstring)."""

    cluster_string: str
    system: str
    pure_dask: bool
    host: str
    port_range: tuple[int, int]
    memory: str
    cores: int | None
    job_cores: int | None
    processes: int | None
    worker_threads: int | None
    seamless_workers: int | None
    transformation_throttle: int | None
    maximum_jobs: int
    minimum_jobs: int
    exclusive: bool
    interactive: bool
    walltime: str | None
    lifetime: str | None
    lifetime_stagger: str | None
    tmpdir: str
    record: bool
    worker_resources: dict[str, float] = field(default_factory=dict)
    dask_config: dict[str, Any] = field(default_factory=dict)
    env_exports: dict[str, str] = field(default_factory=dict)
    jobqueue_options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_local_workers(self) -> int:
        """Worker processes of a LocalCluster: one per job slot times processes per job."""
        return self.maximum_jobs * (self.processes or 1)

    @property
    def memory_per_worker(self) -> int:
        """Bytes per LocalCluster worker process: the job's ``memory`` over its processes
        (dask-jobqueue does this split itself)."""
        return parse_bytes(self.memory) // (self.processes or 1)

    def local_cluster_kwargs(self, *, scheduler_port: int, dashboard_port: int) -> dict[str, Any]:
        """Keyword arguments for ``distributed.LocalCluster``."""
        kwargs: dict[str, Any] = {
            "n_workers": self.n_local_workers,
            "processes": True,
            "host": self.host,
            "scheduler_port": scheduler_port,
            "dashboard_address": f"{self.host}:{dashboard_port}",
            "local_directory": self.tmpdir,
            "memory_limit": self.memory_per_worker,
        }
        if self.worker_threads is not None:
            kwargs["threads_per_worker"] = self.worker_threads
        if self.worker_resources:
            kwargs["resources"] = dict(self.worker_resources)
        return kwargs

    def jobqueue_cluster_kwargs(
        self, *, scheduler_port: int, dashboard_port: int, log: str | None = None
    ) -> dict[str, Any]:
        """Keyword arguments for a dask-jobqueue cluster class."""
        kwargs = dict(self.jobqueue_options)
        kwargs["scheduler_options"] = {
            "port": scheduler_port,
            "dashboard_address": f"{self.host}:{dashboard_port}",
            "host": self.host,
        }
        if log:
            kwargs["log_directory"] = None
            if self.system == "slurm":
                extra = list(kwargs.get("job_extra_directives", []))
                extra += [f"--output={log}-%j.out", f"--error={log}-%j.err"]
                kwargs["job_extra_directives"] = extra
            elif self.system == "oar":
                extra = list(kwargs.get("job_extra_directives", []))
                extra += [f"-O {log}-%jobid%.out", f"-E {log}-%jobid%.err"]
                kwargs["job_extra_directives"] = extra
        return kwargs

    def prologue_lines(self) -> list[str]:
        """``export VAR=value`` lines for job scripts (same environment as local workers)."""
        lines = [f"export {k}={shlex.quote(v)}" for k, v in self.env_exports.items()]
        if self.system == "slurm":
            lines.append("export PYTHON_CPU_COUNT=$SLURM_JOB_CPUS_PER_NODE")
        return lines


def _positive_int(params: Mapping[str, Any], key: str, *, path: str | None) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise WrapperConfigError(
            key=key, value=value, problem="must be a positive integer", path=path
        )
    try:
        number = int(value)
    except ValueError:
        raise WrapperConfigError(
            key=key, value=value, problem="must be a positive integer", path=path
        ) from None
    if number <= 0:
        raise WrapperConfigError(
            key=key, value=value, problem="must be a positive integer", path=path
        )
    return number


def _seconds(value: object, *, key: str, path: str | None) -> float:
    """``hh:mm:ss`` / ``mm:ss`` or a Dask duration (``4m``, ``3300s``) in seconds (YAML may
    give a number)."""
    import dask.utils

    text = str(value)
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            seconds = 0.0
            for p in parts:
                seconds = seconds * 60 + p
            return seconds
        return float(dask.utils.parse_timedelta(text, default="seconds"))
    except (ValueError, KeyError):
        raise WrapperConfigError(
            key=key, value=text, problem="is not a duration (hh:mm:ss or e.g. 4m)", path=path
        ) from None


def _port_range(value: Any, *, key: str, path: str | None) -> tuple[int, int]:
    if isinstance(value, str) and ":" in value:
        value = value.split(":", 1)
    try:
        start, end = (int(v) for v in value)
    except (TypeError, ValueError):
        raise WrapperConfigError(
            key=key, value=value, problem="must be a pair [start, end] or 'start:end'", path=path
        ) from None
    if not 0 < start <= end < 65536:
        raise WrapperConfigError(
            key=key, value=value, problem="is not a valid port range", path=path
        )
    return start, end


def _env_name(dotted: str, *, path: str | None) -> str:
    name = "DASK_" + dotted.replace(".", "__").replace("-", "_").upper()
    if not _IDENTIFIER.fullmatch(name):
        raise WrapperConfigError(
            key="extra_dask_config",
            value=dotted,
            problem="is not a dotted Dask key (letters, digits, '_', '-', '.')",
            path=path,
        )
    return name


def _env_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


def _jobqueue_options(
    system: str,
    params: Mapping[str, Any],
    *,
    memory: str,
    walltime: str | None,
    job_cores: int,
    processes: int | None,
    worker_threads: int | None,
    resources: Mapping[str, float],
    internal: tuple[int, int],
    path: str | None,
) -> dict[str, Any]:
    """Keyword arguments of a dask-jobqueue cluster; every value is safe in its job script."""
    for key in ("partition", "project", "walltime", "resource_spec", "memory"):
        if params.get(key) is not None:
            _single_line(params[key], key=key, path=path)
    directives = [
        _single_line(d, key="job_extra_directives", path=path)
        for d in params.get("job_extra_directives") or []
    ]
    options: dict[str, Any] = {
        "memory": memory,
        "walltime": walltime,
        "python": "python",
        # run by bash on the worker command line: quoted
        "local_directory": shell_word(_single_line(params["tmpdir"], key="tmpdir", path=path)),
        "job_extra_directives": directives,
    }
    # dask-jobqueue writes --nthreads cores/processes itself: with an explicit thread count its
    # `cores` is threads x processes, and the batch system is asked for job_cores (below)
    if worker_threads is not None:
        if processes is None:
            from distributed.deploy.local import nprocesses_nthreads

            processes = nprocesses_nthreads(job_cores)[0]
        options["cores"] = worker_threads * processes
    else:
        options["cores"] = job_cores
    if processes is not None:
        options["processes"] = processes
    worker_args = [
        f"--worker-port={internal[0]}:{internal[1]}",
        f"--nanny-port={internal[0]}:{internal[1]}",
    ]
    if resources:
        spec = " ".join(f"{k}={v:g}" for k, v in resources.items())
        worker_args.append(
            shell_word(_single_line(f"--resources={spec}", key="dask-resources", path=path))
        )
    options["worker_extra_args"] = worker_args
    if params.get("partition"):
        options["queue"] = params["partition"]
    if params.get("project"):
        options["account" if system == "slurm" else "project"] = params["project"]
    if system == "slurm":
        options["job_cpu"] = job_cores
    elif system == "oar":
        prop = params.get("memory_per_core_property_name")
        if not prop:
            raise WrapperConfigError(
                key="memory_per_core_property_name",
                value=prop,
                problem="is required for OAR clusters (add it to the cluster definition)",
                path=path,
            )
        prop = _single_line(prop, key="memory_per_core_property_name", path=path)
        options["resource_spec"] = params.get("resource_spec") or f"/nodes=1/core={job_cores}"
        # dask-jobqueue would divide the memory by its `cores` (threads here): state it per job core
        per_core = math.ceil(parse_bytes(memory) / (job_cores * 2**20))
        last = next((d[3:] for d in reversed(directives) if d.startswith("-p ")), None)
        directives.append(
            f"-p '{last} AND {prop}>={per_core}'" if last else f"-p {prop}>={per_core}"
        )
        options["memory_per_core_property_name"] = "not_applicable"
    return options


def build_wrapper_configuration(
    *,
    cluster_string: str,
    parameters: Mapping[str, Any],
    host: str = "127.0.0.1",
    port_range: tuple[int, int],
    status_file: str | None = None,
) -> WrapperConfig:
    """Validate ``parameters`` and derive the cluster configuration.

    Parameters
    ----------
    cluster_string:
        ``MODULE::CLASS`` as in the launch command (``distributed::LocalCluster``, ...).
    parameters:
        The ``parameters`` mapping of the status file (seamless_config ``file_parameters``).
    host, port_range:
        Scheduler bind host, and the port range for scheduler, dashboard and (by default)
        worker/nanny ports.
    status_file:
        Only used to name the file in error messages.
    """
    path = status_file
    system = CLUSTER_SYSTEMS.get(cluster_string)
    if system is None:
        raise WrapperConfigError(
            key="cluster",
            value=cluster_string,
            problem=f"unknown cluster class; expected one of {sorted(CLUSTER_SYSTEMS)}",
            path=path,
        )
    params = {**DEFAULTS, **{k: v for k, v in parameters.items() if v is not None}}
    pure = bool(params.get("pure_dask", False))
    exclusive = bool(params.get("exclusive", False)) and not pure
    interactive = bool(params.get("interactive", False))
    record = bool(params.get("record", False))
    killable = params.get("killable", False)
    if not isinstance(killable, bool):
        raise WrapperConfigError(
            key="killable", value=killable, problem="must be true or false", path=path
        )

    memory = params.get("memory")
    if not memory:
        raise WrapperConfigError(key="memory", value=memory, problem="is required", path=path)
    try:
        parse_bytes(str(memory))
    except (TypeError, ValueError):
        raise WrapperConfigError(
            key="memory", value=memory, problem="is not a size such as 8GiB or 2000MB", path=path
        ) from None
    cores = _positive_int(params, "cores", path=path)
    job_cores = _positive_int(params, "job_cores", path=path)
    processes = _positive_int(params, "processes", path=path)
    worker_threads = _positive_int(params, "worker_threads", path=path)
    maximum_jobs = _positive_int(params, "maximum_jobs", path=path) or 1
    throttle_param = _positive_int(params, "transformation_throttle", path=path)

    if exclusive:
        if job_cores is not None:
            raise WrapperConfigError(
                key="job_cores",
                value=job_cores,
                problem="must not be set for an exclusive queue",
                path=path,
            )
        if cores is None:
            cores = job_cores = 1
        processes, worker_threads = 1, 1
    elif cores is None:
        raise WrapperConfigError(
            key="cores", value=None, problem="is required unless the queue is exclusive", path=path
        )
    if job_cores is None:
        job_cores = cores

    walltime = params.get("walltime")
    lifetime = params.get("lifetime")
    stagger = params.get("lifetime-stagger")
    if lifetime is None:
        if walltime is None:
            raise WrapperConfigError(
                key="walltime",
                value=None,
                problem="is required unless 'lifetime' is given",
                path=path,
            )
        seconds = (
            _seconds(walltime, key="walltime", path=path)
            - _seconds(stagger, key="lifetime-stagger", path=path)
            - 60
        )
        if seconds <= 0:
            raise WrapperConfigError(
                key="walltime",
                value=walltime,
                problem=f"leaves no worker lifetime after lifetime-stagger {stagger} and 1m",
                path=path,
            )
        lifetime = f"{int(seconds)}s"
    elif _seconds(lifetime, key="lifetime", path=path) <= 0:
        raise WrapperConfigError(
            key="lifetime", value=lifetime, problem="must be positive", path=path
        )
    if maximum_jobs == 1:
        lifetime, stagger = None, None

    seamless_workers: int | None = None
    throttle: int | None = None
    resources: dict[str, float] = {}
    raw_resources = params.get("dask-resources") or {}
    if not isinstance(raw_resources, Mapping):
        raise WrapperConfigError(
            key="dask-resources", value=raw_resources, problem="must be a mapping", path=path
        )
    resources.update({str(k): float(v) for k, v in raw_resources.items()})
    if not pure:
        throttle = throttle_param or DEFAULT_TRANSFORMATION_THROTTLE
        if processes is None:
            processes = 1
        # the job's cores are shared out over its worker processes
        seamless_workers = 1 if exclusive else max(1, cores // processes)
        if worker_threads is None:
            worker_threads = seamless_workers * throttle
        resources["S"] = float(seamless_workers)

    internal = _port_range(
        params.get("internal-port-range", list(port_range)), key="internal-port-range", path=path
    )
    dask_config: dict[str, Any] = {
        "distributed.scheduler.unknown-task-duration": params["unknown-task-duration"],
        "distributed.scheduler.target-duration": params["target-duration"],
        "distributed.worker.port": f"{internal[0]}:{internal[1]}",
        "distributed.nanny.port": f"{internal[0]}:{internal[1]}",
    }
    if resources:
        dask_config["distributed.worker.resources"] = dict(resources)
    if lifetime is not None:
        dask_config["distributed.worker.lifetime.duration"] = lifetime
        dask_config["distributed.worker.lifetime.stagger"] = stagger
        dask_config["distributed.worker.lifetime.restart"] = True
    if not pure:
        dask_config["distributed.worker.daemon"] = False
        dask_config["seamless-dask.seamless-workers"] = seamless_workers
        dask_config["seamless-dask.throttle.transformation-throttle"] = throttle
        if killable:  # the code of each transformation runs in a Seamless worker process
            dask_config["seamless-dask.killable"] = True
    extra = params.get("extra_dask_config") or {}
    if not isinstance(extra, Mapping):
        raise WrapperConfigError(
            key="extra_dask_config",
            value=extra,
            problem="must be a mapping of dotted keys",
            path=path,
        )
    dask_config.update({str(k): v for k, v in extra.items()})

    env: dict[str, str] = {
        "SEAMLESS_DASK_QUEUE_EXCLUSIVE": "1" if exclusive else "0",
        "SEAMLESS_DASK_RECORD_MODE": "1" if record else "0",
    }
    if not pure:
        env["SEAMLESS_WORKER_TRANSFORMATION_THROTTLE"] = str(throttle)
        env["SEAMLESS_DASK_WORKERS"] = str(seamless_workers)
    for key, value in dask_config.items():
        if key.startswith(DASK_ENV_PREFIXES) or key.startswith("seamless-dask."):
            env[_env_name(key, path=path)] = _env_value(value)

    jobqueue: dict[str, Any] = {}
    if system != "local":
        jobqueue = _jobqueue_options(
            system,
            params,
            memory=str(memory),
            walltime=walltime,
            job_cores=job_cores,
            processes=processes,
            worker_threads=worker_threads,
            resources=resources,
            internal=internal,
            path=path,
        )

    config = WrapperConfig(
        cluster_string=cluster_string,
        system=system,
        pure_dask=pure,
        host=host,
        port_range=(port_range[0], port_range[1]),  # a copy (callers may pass a list)
        memory=str(memory),
        cores=cores,
        job_cores=job_cores,
        processes=processes,
        worker_threads=worker_threads,
        seamless_workers=seamless_workers,
        transformation_throttle=throttle,
        maximum_jobs=maximum_jobs,
        minimum_jobs=1 if interactive else 0,
        exclusive=exclusive,
        interactive=interactive,
        walltime=walltime,
        lifetime=lifetime,
        lifetime_stagger=stagger,
        tmpdir=str(params["tmpdir"]),
        record=record,
        worker_resources=resources,
        dask_config=dask_config,
        env_exports=env,
        jobqueue_options=jobqueue,
    )
    if system != "local":
        prologue = list(params.get("job_script_prologue") or [])
        config.jobqueue_options["job_script_prologue"] = config.prologue_lines() + prologue
    return config


__all__ = ["CLUSTER_SYSTEMS", "WrapperConfig", "build_wrapper_configuration", "shell_word"]
