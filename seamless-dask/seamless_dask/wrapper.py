"""``seamless-dask-wrapper``: a Dask scheduler + cluster launched by remote-http-launcher.

remote-http-launcher starts it from seamless_config's daskserver / pure_daskserver launch dict::

    seamless-dask-wrapper distributed::LocalCluster --port-range A B --status-file F \\
        --host 127.0.0.1 --timeout 600

It reads ``parameters`` from the status file (see :mod:`seamless_dask.wrapper_config`), starts
the cluster with the scheduler on one free port of the range and the dashboard (which serves
``/health``, the launcher's handshake) on another, writes ``status: running``, ``port`` and
``dashboard_port``, and runs until SIGINT/SIGTERM/SIGHUP or ``--timeout`` seconds with no
client connected and no task on the scheduler. Then it closes the cluster and removes the file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .wrapper_config import CLUSTER_SYSTEMS, WrapperConfig, build_wrapper_configuration

if TYPE_CHECKING:
    from distributed.deploy.spec import SpecCluster

    from ._status_file import InactivityMonitor, Shutdown

logger = logging.getLogger("seamless_dask.wrapper")
ACTIVITY_POLL_INTERVAL = 1.0


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (the launcher passes every option)."""
    from . import _status_file

    parser = argparse.ArgumentParser(
        prog="seamless-dask-wrapper",
        description=(
            "Start a Dask scheduler and cluster for Seamless (or plain Dask in pure-Dask mode), "
            "with the status-file handshake of remote-http-launcher. Cluster parameters come "
            "from the 'parameters' of the status file."
        ),
    )
    parser.add_argument(
        "cluster",
        choices=sorted(CLUSTER_SYSTEMS),
        metavar="CLUSTER",
        help="cluster class as MODULE::CLASS, e.g. distributed::LocalCluster or "
        "dask_jobqueue::SLURMCluster",
    )
    _status_file.add_service_arguments(parser, port_range_required=True, status_file_required=True)
    return parser


def apply_configuration(config: WrapperConfig) -> None:
    """Export the worker environment and set the Dask config in this process."""
    import dask.config

    for key, value in config.env_exports.items():
        if not key.startswith("DASK_"):
            os.environ[key] = value
    dask.config.set(config.dask_config)


def start_cluster(
    config: WrapperConfig, *, scheduler_port: int, dashboard_port: int, log: str | None = None
) -> SpecCluster:
    """Start the cluster described by ``config`` (LocalCluster or dask-jobqueue)."""
    module_name, class_name = config.cluster_string.split("::")
    if config.system == "local":
        from distributed import LocalCluster

        return LocalCluster(
            **config.local_cluster_kwargs(
                scheduler_port=scheduler_port, dashboard_port=dashboard_port
            )
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"{config.cluster_string} needs dask-jobqueue: pip install 'seamless-dask[hpc]'"
        ) from exc
    cluster: SpecCluster = getattr(module, class_name)(
        **config.jobqueue_cluster_kwargs(
            scheduler_port=scheduler_port, dashboard_port=dashboard_port, log=log
        )
    )
    cluster.adapt(minimum_jobs=config.minimum_jobs, maximum_jobs=config.maximum_jobs)
    return cluster


def scheduler_is_active(scheduler: object) -> bool:
    """True while a client is connected or the scheduler holds tasks."""
    clients = [c for c in getattr(scheduler, "clients", {}) if c != "fire-and-forget"]
    return bool(clients) or bool(getattr(scheduler, "tasks", {}))


def _watch_activity(scheduler: object, monitor: InactivityMonitor, shutdown: Shutdown) -> None:
    while not shutdown.wait(ACTIVITY_POLL_INTERVAL):
        try:
            if scheduler_is_active(scheduler):
                monitor.touch()
        except RuntimeError:  # dict changed size while reading: just poll again
            monitor.touch()


def run(args: argparse.Namespace) -> int:
    """Handshake, start the cluster, serve until shutdown. Returns the exit code."""
    from . import _status_file

    status = _status_file.StatusFile.wait(args.status_file)
    log = status.contents.get("log")
    shutdown = _status_file.Shutdown()
    restore = shutdown.install_signal_handlers()
    cluster = None
    try:
        try:
            config = build_wrapper_configuration(
                cluster_string=args.cluster,
                parameters=status.parameters,
                host=args.host,
                port_range=tuple(args.port_range),
                status_file=str(args.status_file),
            )
            apply_configuration(config)
            scheduler_port, dashboard_port = _status_file.select_ports(args, count=2)
            cluster = start_cluster(
                config, scheduler_port=scheduler_port, dashboard_port=dashboard_port, log=log
            )
        except BaseException as exc:
            status.write_failed(f"{type(exc).__name__}: {exc}")
            raise
        status.write_running(scheduler_port, dashboard_port=dashboard_port)
        print(
            f"seamless-dask-wrapper: {config.cluster_string} running, scheduler "
            f"tcp://{config.host}:{scheduler_port}, dashboard port {dashboard_port}, "
            f"{'pure-Dask' if config.pure_dask else 'Seamless'} mode",
            flush=True,
        )
        monitor = _status_file.InactivityMonitor(args.timeout)
        threading.Thread(
            target=_watch_activity,
            args=(cluster.scheduler, monitor, shutdown),
            name="seamless-dask-activity",
            daemon=True,
        ).start()
        if args.timeout is not None:
            monitor.watch(shutdown)
        shutdown.wait()
        print(f"seamless-dask-wrapper: shutting down ({shutdown.reason})", flush=True)
        return 0
    finally:
        if cluster is not None:
            try:
                cluster.close(timeout=30)
            except Exception:  # shutting down: report, keep going
                logger.exception("closing the cluster failed")
        restore()
        if status.running_written:
            status.finish()


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``seamless-dask-wrapper``."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except Exception as exc:  # noqa: BLE001  (top level: one clear line, exit 1)
        print(f"seamless-dask-wrapper: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1


__all__ = [
    "apply_configuration",
    "build_parser",
    "main",
    "run",
    "scheduler_is_active",
    "start_cluster",
]


if __name__ == "__main__":
    sys.exit(main())
