"""``seamless-jobserver``: the console script (argument parsing, start-up, serving, shutdown).

remote-http-launcher starts it from seamless-config's jobserver launch dict::

    seamless-jobserver --workers N --port-range A B --status-file F --host 127.0.0.1 --timeout 600

Start-up: read the status file (remote-http-launcher's handshake, see ``_status_file``) and
take the remote-clients dict from its ``parameters`` (so results go to the same hashserver
and database as the clients'; without a status file, from ``SEAMLESS_REMOTE_CLIENTS``), spawn
the worker processes, listen, write ``status: running`` and the port. Serve until
SIGINT/SIGTERM/SIGHUP or ``--timeout`` seconds without a request or a running job; then stop
the workers and remove the status file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any

from . import _status_file
from .errors import StartupError

__all__ = ["DEFAULT_PORT", "build_parser", "configure_remote_clients", "main", "serve"]

logger = logging.getLogger(__name__)

#: the port when neither --port nor --port-range is given (as seamless-jobserver 0.3.0)
DEFAULT_PORT = 5533


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="seamless-jobserver",
        description=(
            "Run Seamless transformations sent over HTTP (GET /run-transformation) in a pool "
            "of worker processes on this machine, storing results in the hashserver and "
            "database named by the status file's parameters. Wire-compatible with "
            f"seamless-jobserver 0.3.0. Without --port or --port-range it listens on "
            f"port {DEFAULT_PORT}."
        ),
    )
    _status_file.add_service_arguments(parser)
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="number of worker processes that run transformations (default 1)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level of the server (default WARNING)",
    )
    return parser


def configure_remote_clients(parameters: dict[str, Any]) -> bool:
    """Use the hashserver/database of the remote-clients dict; True if any was given.

    Without buffer or database entries, ``SEAMLESS_REMOTE_CLIENTS`` (JSON) is used if set.
    """
    import seamless_config
    from seamless_config.extern_clients import set_remote_clients_from_env

    clients = {k: parameters.get(k) or [] for k in ("database", "buffer")}
    entries = clients["database"] + clients["buffer"]
    if not entries:
        return set_remote_clients_from_env()
    for kind, values in clients.items():
        if not isinstance(values, list) or not all(isinstance(e, dict) for e in values):
            raise StartupError(
                f"status-file parameter '{kind}'", f"must be a list of objects, not {values!r}"
            )
    in_remote = all(e.get("remote_url") or e.get("remote_directory") for e in entries)
    seamless_config.set_remote_clients(clients, in_remote=in_remote)
    return True


def _record_mode(parameters: dict[str, Any]) -> bool:
    record = parameters.get("record", False)
    if record in (None, False):
        return False
    raise StartupError(
        "status-file parameter 'record'",
        f"record mode is not supported by this jobserver yet (got {record!r}); "
        "select `record: false`",
    )


async def serve(args: argparse.Namespace, status: _status_file.StatusFile | None) -> str:
    """Start everything, serve until shutdown; the shutdown reason."""
    from aiohttp import web

    from seamless_transformer.worker_pool import get_worker_pool_registry

    from .execution import JobRunner
    from .server import build_app, jobs_of

    shutdown = _status_file.Shutdown()
    restore = shutdown.install_signal_handlers()
    monitor = _status_file.InactivityMonitor(args.timeout)
    registry = get_worker_pool_registry()
    runner: web.AppRunner | None = None
    try:
        try:
            parameters = status.parameters if status is not None else {}
            record = _record_mode(parameters)
            persistent = configure_remote_clients(parameters)
            pool = registry.spawn(args.workers)
            if pool is None:
                raise StartupError("--workers", "the worker pool could not be started")
            app = build_app(JobRunner(pool), record=record, monitor=monitor)
            if args.port is None and args.port_range is None:
                args.port = DEFAULT_PORT
            (port,) = _status_file.select_ports(args)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, args.host, port).start()
        except BaseException as exc:
            if status is not None:
                status.write_failed(f"{type(exc).__name__}: {exc}")
            raise
        if status is not None:
            status.write_running(port)
        if not persistent:
            print(
                "seamless-jobserver: WARNING: no hashserver or database configured (status-file "
                "parameters or SEAMLESS_REMOTE_CLIENTS): results cannot be stored or fetched",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"seamless-jobserver: running on http://{args.host}:{port} with "
            f"{args.workers} worker process(es)",
            flush=True,
        )
        watcher = None
        if args.timeout is not None:
            watcher = asyncio.ensure_future(monitor.watch_async(shutdown))
        reason = await shutdown.wait_async()
        print(f"seamless-jobserver: shutting down ({reason})", flush=True)
        if watcher is not None:
            watcher.cancel()
        await jobs_of(app).cancel_all()
        return reason
    finally:
        if runner is not None:
            await runner.cleanup()
        registry.reset()
        restore()


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``seamless-jobserver``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
    )
    status = None
    try:
        if args.status_file is not None:
            status = _status_file.StatusFile.wait(args.status_file)
        asyncio.run(serve(args, status))
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # noqa: BLE001  (top level: one clear line, exit 1)
        print(f"seamless-jobserver: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if status is not None and status.running_written:
            status.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
