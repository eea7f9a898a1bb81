"""Declared configuration: every YAML key seamless_config reads, with its default and meaning.

One table per place a key can appear. The command table drives the command language, the
cluster tables drive validation in :mod:`seamless_config.cluster`, and a test checks that the
cluster dataclasses and these tables agree (names, required flags and defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED: Any = object()
"""Default of a key that must be given."""


@dataclass(frozen=True)
class Key:
    """One YAML key: accepted types (for messages), default (or REQUIRED) and description."""

    types: str
    default: Any
    description: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


COMMANDS: dict[str, Key] = {
    "cluster": Key(
        "str or null",
        None,
        "Select the cluster (defined in ~/.seamless/clusters*.yaml or a `clusters` command). A different cluster clears the queue.",
    ),
    "project": Key(
        "str", None, "Select the project; it names the storage directories and launch keys."
    ),
    "subproject": Key("str (may contain '/')", None, "Select the subproject below the project."),
    "execution": Key(
        "'process', 'spawn' or 'remote'",
        None,
        "Where transformations run. Default: 'remote' when a cluster is selected, else 'process'.",
    ),
    "queue": Key(
        "str",
        None,
        "Select a Dask queue of the selected cluster; must come after `cluster`. Default: the cluster's default_queue.",
    ),
    "remote": Key(
        "null, 'daskserver' or 'jobserver'",
        None,
        "Remote execution target. Default: inferred from the cluster (required when it has both).",
    ),
    "persistent": Key(
        "bool",
        None,
        "Store results in the hashserver/database. Default: true when a cluster is selected, else false. false + execution remote = pure-Dask mode.",
    ),
    "record": Key("bool", False, "Write full execution records."),
    "node": Key(
        "str or null", None, "Pin Dask jobs to one compute node (daskserver on SLURM/OAR only)."
    ),
    "nparallel": Key(
        "int >= 1", None, "Limit on active transformations for parallel(); persists across reloads."
    ),
    "timeout": Key(
        "number > 0 or null",
        None,
        "Default timeout in seconds of every transformation (a transformer's own `timeout` wins). After it, the transformation is canceled as by cancel() (on spawn and the jobserver its worker process is terminated) and fails with 'Transformation timed out after N s'. Default: none.",
    ),
    "clusters": Key(
        "mapping",
        None,
        "Inline cluster definitions, merged over those of ~/.seamless (whole entries).",
    ),
    "inherit_from_parent": Key(
        "no argument",
        None,
        "Also read the parent directory's seamless.yaml / seamless.profile.yaml (first).",
    ),
}
"""The command language. A key `stage NAME` holds a list of commands for stage NAME only."""

CLUSTER_FILE: dict[str, Key] = {
    "local_cluster": Key(
        "str",
        None,
        "Name of the cluster that runs on this machine: its services start locally, without SSH.",
    ),
}
"""Top-level keys of a cluster file besides the cluster names."""

CLUSTER: dict[str, Key] = {
    "frontends": Key("list of frontends", REQUIRED, "Nodes that host services."),
    "type": Key(
        "'local', 'slurm', 'oar' or null",
        None,
        "Dask cluster class; required by the daskserver builders.",
    ),
    "tunnel": Key("bool", False, "Reach the services through SSH port forwarding."),
    "workers": Key(
        "int",
        None,
        "Workers for spawn mode and the jobserver; cores / maximum_jobs fallback for local Dask queues.",
    ),
    "memory_per_core_property_name": Key(
        "str", None, "Passed to the Dask wrapper; OAR requires it."
    ),
    "queues": Key("mapping name -> queue", None, "Dask queue definitions."),
    "default_queue": Key("str", None, "Queue used when none is selected."),
}

FRONTEND: dict[str, Key] = {
    "hostname": Key(
        "str",
        REQUIRED,
        "HTTP and SSH address of the frontend (default 'localhost' for type local).",
    ),
    "ssh_hostname": Key("str", None, "SSH alias, if different from hostname."),
    "hashserver": Key("mapping", None, "Buffer server (hashserver) on this frontend."),
    "database": Key("mapping", None, "Result database (seamless-database) on this frontend."),
    "jobserver": Key("mapping", None, "Job server (seamless-jobserver) on this frontend."),
    "daskserver": Key("mapping", None, "Dask scheduler (seamless-dask-wrapper) on this frontend."),
}

_SERVICE_COMMON: dict[str, Key] = {
    "conda": Key(
        "str",
        None,
        "Conda environment to run the service in; without it the launcher uses the current environment.",
    ),
    "network_interface": Key(
        "str", "127.0.0.1", "Interface the service binds; loopback unless a cluster says otherwise."
    ),
}

HASHSERVER: dict[str, Key] = {
    "bufferdir": Key(
        "str", REQUIRED, "Root directory of the buffers (below it: project/subproject/STAGE-stage)."
    ),
    **_SERVICE_COMMON,
    "port_start": Key("int", None, "First port of the range (give both or neither)."),
    "port_end": Key("int", None, "Last port of the range (give both or neither)."),
    "fast_path": Key(
        "bool",
        True,
        "Where bufferdir is reachable from a client or worker (this machine, or a shared filesystem), write and read buffers there directly in the hashserver's on-disk protocol instead of over HTTP (the server is still used for promises and checks what it serves). false: every buffer goes over HTTP.",
    ),
}

DATABASE: dict[str, Key] = {
    "database_dir": Key(
        "str",
        REQUIRED,
        "Root directory of the databases (file seamless.db below project/subproject/STAGE-stage).",
    ),
    **_SERVICE_COMMON,
    "port_start": Key("int", None, "First port of the range (give both or neither)."),
    "port_end": Key("int", None, "Last port of the range (give both or neither)."),
}

JOBSERVER: dict[str, Key] = {
    **_SERVICE_COMMON,
    "port_start": Key("int", REQUIRED, "First port of the range."),
    "port_end": Key("int", REQUIRED, "Last port of the range."),
}

DASKSERVER: dict[str, Key] = {
    "network_interface": _SERVICE_COMMON["network_interface"],
    "port_start": Key("int", REQUIRED, "First port of the range (scheduler, dashboard, workers)."),
    "port_end": Key("int", REQUIRED, "Last port of the range."),
}

QUEUE: dict[str, Key] = {
    "TEMPLATE": Key(
        "str",
        None,
        "Copy every field of an earlier queue of the same cluster, then apply the fields given here.",
    ),
    "conda": Key(
        "str",
        None,
        "Conda environment of the Dask server and workers; without it the current environment.",
    ),
    "walltime": Key("str hh:mm:ss", REQUIRED, "Job walltime."),
    "memory": Key("str", REQUIRED, "Memory per job, e.g. 12GB."),
    "unknown_task_duration": Key("str", REQUIRED, "Assumed duration of a task never seen before."),
    "target_duration": Key("str", REQUIRED, "Adaptive scaling target duration."),
    "maximum_jobs": Key("int", REQUIRED, "Maximum number of jobs (LocalCluster: workers)."),
    "cores": Key(
        "int",
        None,
        "Cores per job (required unless the cluster type is local or the queue is exclusive).",
    ),
    "job_cores": Key("int", None, "CPUs requested from the batch system (default: cores)."),
    "exclusive": Key("bool", False, "Whole-node jobs."),
    "interactive": Key("bool", False, "Keep at least one job running."),
    "project": Key("str", None, "Scheduler account."),
    "partition": Key("str", None, "Scheduler partition (jobqueue 'queue')."),
    "tmpdir": Key("str", "/tmp", "Local and temporary directory of the workers."),
    "lifetime": Key("str", None, "Worker lifetime (default: walltime - lifetime_stagger - 1m)."),
    "lifetime_stagger": Key("str", "4m", "Worker lifetime stagger."),
    "extra_dask_config": Key("mapping str -> str", None, "Extra dotted Dask config keys."),
    "job_extra_directives": Key("list of str", None, "Extra batch-system directives."),
    "job_script_prologue": Key("list of str", None, "Lines prepended to the job script."),
    "dask_resources": Key("mapping", None, "Dask worker resources."),
    "worker_threads": Key("int", None, "Threads per worker process (pure-Dask default 2)."),
    "processes": Key("int", None, "Worker processes per job."),
    "killable": Key(
        "bool",
        False,
        "Seamless mode: the Dask workers run each transformation's code in a Seamless worker "
        "process, which cancel and timeouts terminate (default: in a Dask worker thread, which "
        "runs to its end).",
    ),
}
"""Dask queue fields; '-' in a key is read as '_' (job-extra-directives)."""
