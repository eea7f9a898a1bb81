"""Run one benchmark workload in the current environment and print one JSON line.

With ``--jobserver URL`` the Seamless stacks run remote work on that jobserver instead of Dask.
Executed by the Python of the stack under test (``--stack seamless1`` in the Seamless 1.x
environment, ``ours`` in the monorepo environment, ``dask`` in either), so the driver never
imports any stack. The JSON line carries the timings, result checksums, the Dask task counts and
the peak RSS of this client process. Setup (imports, connecting, one warm-up transformation) is
timed separately from the workload itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
import traceback
import urllib.request
from importlib import metadata
from typing import Any

import workloads

PACKAGES = (
    "dask",
    "distributed",
    "seamless-core",
    "seamless-config",
    "seamless-remote",
    "seamless-transformer",
    "seamless-dask",
)


STACKS = [
    "seamless1",
    "ours",
    "oursbase",
    "ourshttp",
    "dask",
    "httpfloor",
    "localfloor",
    "lookupfloor",
]


class Unavailable(Exception):
    """The stack cannot run here (a missing package or API); the message says which."""


def task_counts(dask_client: Any) -> dict[str, int]:
    """Finished tasks per key prefix, as counted by cluster.py's scheduler plugin."""

    def read(dask_scheduler: Any) -> dict[str, int]:
        plugin = dask_scheduler.plugins.get("bench-task-counter")
        return dict(plugin.counts) if plugin is not None else {}

    return dask_client.run_on_scheduler(read)


def remote_clients_of(options: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    """The remote-clients dict for the hashserver and database of the options."""
    remote_clients = {
        kind: [{"readonly": False, "url": url, "remote_url": url}]
        for kind, url in (("database", options.database), ("buffer", options.hashserver))
    }
    if options.buffer_dir and options.stack != "ourshttp":
        # the hashserver's directory is on this machine: reads (both stacks) and our writes
        # (the local fast path) go straight to it
        entry = remote_clients["buffer"][0]
        entry["directory"] = entry["remote_directory"] = options.buffer_dir
    return remote_clients


def connect_seamless(options: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Point Seamless at the hashserver, database and Dask scheduler; return (delayed, client, close).

    This is the documented setup of Seamless 1.x (reference dask-remote.md 2.6): the same
    remote-clients dict goes to ``set_remote_clients`` (this process) and to the
    ``SeamlessDaskClient`` (its worker plugin configures the workers); the registered client
    runs the work, with no execution mode selected.
    """
    remote_clients = remote_clients_of(options)
    try:
        import seamless
        import seamless.config
        from seamless.transformer import delayed

        from seamless_dask.client import SeamlessDaskClient
        from seamless_dask.transformer_client import set_seamless_dask_client
    except ImportError as exc:
        raise Unavailable(f"import failed: {exc}") from exc
    from distributed import Client

    seamless.config.set_remote_clients(remote_clients)
    client = Client(options.scheduler, timeout="10s", set_as_default=False)
    seamless_client = SeamlessDaskClient(
        client,
        worker_plugin_workers=options.seamless_workers,
        remote_clients=remote_clients,
        is_local_cluster=True,
    )
    set_seamless_dask_client(seamless_client)
    return delayed, client, seamless.close


def connect_jobserver(options: argparse.Namespace) -> tuple[Any, Any]:
    """Point Seamless at the hashserver and database, and run remote work on the jobserver
    (``remote: jobserver``, no Dask); return (delayed, close)."""
    remote_clients = remote_clients_of(options)
    try:
        import seamless
        import seamless.config
        from seamless.transformer import delayed

        from seamless_config.select import select_execution, select_remote
        from seamless_remote import jobserver_remote
    except ImportError as exc:
        raise Unavailable(f"import failed: {exc}") from exc
    seamless.config.set_remote_clients(remote_clients)
    select_execution("remote")
    select_remote("jobserver")
    if hasattr(jobserver_remote, "define_jobserver"):  # ours
        jobserver_remote.define_jobserver(options.jobserver)
    else:  # Seamless 1.x
        jobserver_remote.define_extern_client("bench", "jobserver", url=options.jobserver)
        jobserver_remote.activate(no_main=True, extern_clients=["bench"])
    return delayed, seamless.close


def digest(items: list[str]) -> str:
    """A short fingerprint of an ordered list of strings."""
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


def database_hits(database: str, tf_checksums: list[str]) -> int:
    """How many of these transformation checksums the database already knows (raw HTTP)."""
    hits = 0
    for checksum in tf_checksums:
        body = json.dumps({"type": "transformation", "checksum": checksum}).encode()
        request = urllib.request.Request(database, data=body, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                hits += response.status == 200
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
    return hits


def lookup_floor(options: argparse.Namespace, report: dict[str, Any], start: float) -> None:
    """The cached floor: only the concurrent database lookups of the cold run's checksums."""
    import asyncio

    from seamless.transformer import delayed

    tfs = [delayed(workloads.inc)(i, options.salt) for i in range(options.size)]
    checksums = [str(tf.construct()) for tf in tfs]
    report["setup_s"] = time.perf_counter() - start
    t0 = time.perf_counter()
    hits = asyncio.run(workloads.concurrent_lookups(options.database, checksums))
    report["wall_s"] = time.perf_counter() - t0
    report["database_hits"] = hits
    report["tf_digest"] = digest(checksums)
    report["values_digest"] = ""
    report["dask_tasks"] = {}
    report["status"] = "ok" if hits == len(checksums) else "error"
    if hits != len(checksums):
        report["error"] = f"only {hits}/{len(checksums)} lookups hit"


def run(options: argparse.Namespace, report: dict[str, Any]) -> None:
    """Connect, warm up, run the workload, fill ``report``."""
    start = time.perf_counter()
    kwargs: dict[str, Any] = {"size": options.size, "salt": options.salt}
    if options.workload == "numpy":
        kwargs["megabytes"] = options.megabytes
    if options.stack == "lookupfloor":
        lookup_floor(options, report, start)
        return
    if options.stack in ("dask", "httpfloor", "localfloor"):
        import cloudpickle
        from distributed import Client

        cloudpickle.register_pickle_by_value(workloads)
        client = Client(options.scheduler, timeout="10s", set_as_default=False)
        client.submit(workloads.inc, -1, options.salt, pure=False).result()
        close = None
        context: Any = client
        if options.stack == "dask":
            workload = workloads.DASK_WORKLOADS[options.workload]
        else:
            workload = workloads.FLOOR_WORKLOADS[options.workload]
            kwargs["storage"] = {
                "hashserver": options.hashserver,
                "database": options.database,
                "buffer_dir": options.buffer_dir if options.stack == "localfloor" else None,
            }
    else:
        if options.jobserver:
            client = None
            delayed, close = connect_jobserver(options)
        else:
            delayed, client, close = connect_seamless(options)
        delayed(workloads.inc)(-1, options.salt + 10**9).run()
        workload, context = workloads.SEAMLESS_WORKLOADS[options.workload], delayed
    before = task_counts(client) if client is not None else {}
    report["setup_s"] = time.perf_counter() - start

    if options.probe:
        # Build the transformations without running them and ask the database directly.
        if options.workload != "independent":
            raise ValueError("--probe supports the 'independent' workload only")
        tfs = [delayed(workloads.inc)(i, options.salt) for i in range(options.size)]
        checksums = [str(tf.construct()) for tf in tfs]
        report["tf_digest"] = digest(checksums)
        report["database_hits"] = database_hits(options.database, checksums)
    else:
        t0 = time.perf_counter()
        values, tfs = workload(context, **kwargs)
        report["wall_s"] = time.perf_counter() - t0
        report["values_digest"] = digest([repr(v) for v in values])
        report["value_sample"] = repr(values[-1])
        if tfs:
            report["tf_digest"] = digest([str(tf.transformation_checksum) for tf in tfs])
            report["result_digest"] = digest([str(tf.result_checksum) for tf in tfs])
    after = task_counts(client) if client is not None else {}
    report["dask_tasks"] = {
        k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)
    }
    report["status"] = "ok"
    if close is not None:
        close()
    if client is not None:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, choices=STACKS)
    parser.add_argument("--workload", required=True, choices=sorted(workloads.SEAMLESS_WORKLOADS))
    parser.add_argument("--size", type=int, required=True, help="N, chain length or fan width")
    parser.add_argument("--salt", type=int, required=True, help="makes the transformations unique")
    parser.add_argument("--megabytes", type=int, default=20, help="numpy input size")
    parser.add_argument("--scheduler", required=True, help="Dask scheduler address")
    parser.add_argument("--hashserver", help="hashserver URL (Seamless stacks)")
    parser.add_argument("--database", help="seamless-database URL (Seamless stacks)")
    parser.add_argument("--buffer-dir", help="the hashserver's directory (on this machine)")
    parser.add_argument("--jobserver", help="jobserver URL: remote: jobserver instead of Dask")
    parser.add_argument(
        "--seamless-workers", type=int, default=2, help="Seamless workers per Dask worker"
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="only count database hits for the transformation checksums",
    )
    options = parser.parse_args()
    report: dict[str, Any] = {"bench": 1, "stack": options.stack, "workload": options.workload}
    report["versions"] = {}
    for package in PACKAGES[:2] if options.stack in ("dask", "httpfloor") else PACKAGES:
        try:
            report["versions"][package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    try:
        run(options, report)
    except Unavailable as exc:
        report.update(status="unavailable", error=str(exc))
    except Exception as exc:  # any failure is reported, not raised
        traceback.print_exc()
        report.update(status="error", error=f"{type(exc).__name__}: {exc}"[:500])
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
