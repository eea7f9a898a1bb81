"""``seamless-service-resolve``: print the launch key, workdir and log path of a service as JSON.

It starts nothing. The stage is selected *before* the configuration is loaded, so stage
blocks are evaluated for it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

__all__ = ["SERVICES", "main", "resolve"]

SERVICES = ("hashserver", "database", "jobserver", "daskserver", "pure-daskserver")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seamless-service-resolve",
        description="Resolve the remote-http-launcher key, workdir and log path of a Seamless service "
        "(without starting anything) and print them as JSON.",
    )
    parser.add_argument("--service", required=True, choices=SERVICES)
    parser.add_argument("--cluster", help="cluster name (default: the selected one)")
    parser.add_argument(
        "--project", help="project; 'SEAMLESS_CACHE' means the SEAMLESS_CACHE services"
    )
    parser.add_argument("--subproject")
    parser.add_argument("--stage")
    parser.add_argument("--substage")
    parser.add_argument(
        "--mode", choices=("ro", "rw"), default="rw", help="hashserver/database mode (default rw)"
    )
    parser.add_argument("--queue", help="Dask queue (pure-daskserver)")
    parser.add_argument("--frontend-name", help="frontend hostname, when the cluster has several")
    parser.add_argument(
        "--workdir", help="read seamless.yaml of this directory (default: only cluster files)"
    )
    return parser


def _load(args: argparse.Namespace) -> None:
    from seamless_config import config_files, select, session

    select.select_stage(args.stage or None)
    select.select_substage(args.substage or None)
    if args.workdir is not None:
        session.get_session_state().workdir = os.path.abspath(args.workdir)
        config_files.load_config_files()
    else:
        config_files.load_cluster_files()


def resolve(args: argparse.Namespace) -> dict[str, Any]:
    """The resolved description of one service (key, ssh_hostname, workdir, log_path, meta fields)."""
    from seamless_config import select, tools
    from seamless_config.errors import ConfigurationError
    from seamless_config.launching import launch_key
    from seamless_config.seamless_cache import SEAMLESS_CACHE_CLUSTER, get_seamless_cache

    _load(args)
    cluster, project = args.cluster, args.project
    if project == "SEAMLESS_CACHE":
        if get_seamless_cache() is None:
            raise ConfigurationError(
                "--project SEAMLESS_CACHE needs the SEAMLESS_CACHE variable to be set"
            )
        cluster, project = SEAMLESS_CACHE_CLUSTER, select.PROJECT_TOPLEVEL
    common: dict[str, Any] = {"cluster": cluster, "frontend_name": args.frontend_name}
    location = {"project": project, "subproject": args.subproject, "stage": args.stage}
    if args.service in ("hashserver", "database"):
        builder = (
            tools.configure_hashserver if args.service == "hashserver" else tools.configure_database
        )
        conf = builder(args.mode, **common, **location)
    elif args.service == "jobserver":
        conf = tools.configure_jobserver(
            **common, **location, substage=args.substage, remote_clients={}
        )
    elif args.service == "daskserver":
        if args.queue is not None:
            select.select_cluster(cluster or select.get_selected_cluster())
            select.select_queue(args.queue)
        conf = tools.configure_daskserver(**common, **location, substage=args.substage)
    else:
        conf = tools.configure_pure_daskserver(**common, queue=args.queue)
    key = launch_key(conf)  # a ConfigurationError (not a traceback) if the launcher refuses
    result = {
        "key": key,
        "ssh_hostname": conf.get("ssh_hostname", conf.get("hostname")),
        "workdir": conf["workdir"],
        "log_path": f"~/.remote-http-launcher/server/{key}.log",
    }
    result.update(conf.get("meta", {}))
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point of seamless-service-resolve."""
    args = _build_parser().parse_args(argv)
    from seamless_config.errors import ConfigurationError

    try:
        result = resolve(args)
    except ConfigurationError as exc:
        print(f"seamless-service-resolve: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
