"""A minimal launched service built on status_file.py, run as a subprocess by the tests.

It listens on two ports (``port`` and ``dashboard_port``), treats every TCP connection as
activity, and exits cleanly on SIGTERM/SIGINT or after ``--timeout`` idle seconds. ``--mode``
chooses the asyncio or the threaded style of waiting.
"""

import argparse
import asyncio
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from status_file import (
    InactivityMonitor,
    PortSelectionError,
    Shutdown,
    StatusFile,
    add_service_arguments,
    select_ports,
)


def serve_thread(server: socket.socket, monitor: InactivityMonitor) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        monitor.touch()
        with conn:
            conn.sendall(b"OK\n")


async def run_async(
    status: StatusFile, shutdown: Shutdown, monitor: InactivityMonitor, ports: list[int], host: str
) -> str | None:
    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        monitor.touch()
        writer.write(b"OK\n")
        await writer.drain()
        writer.close()

    servers = [await asyncio.start_server(on_client, host, port) for port in ports]
    watcher = asyncio.create_task(monitor.watch_async(shutdown, max_poll=0.1))
    status.write_running(ports[0], dashboard_port=ports[1])
    reason = await shutdown.wait_async()
    watcher.cancel()
    for server in servers:
        server.close()
        await server.wait_closed()
    return reason


def run_threaded(
    status: StatusFile, shutdown: Shutdown, monitor: InactivityMonitor, ports: list[int], host: str
) -> str | None:
    sockets = [socket.create_server((host, port)) for port in ports]
    for sock in sockets:
        threading.Thread(target=serve_thread, args=(sock, monitor), daemon=True).start()
    monitor.watch(shutdown, max_poll=0.1)
    status.write_running(ports[0], dashboard_port=ports[1])
    while not shutdown.wait(0.05):
        pass
    for sock in sockets:
        sock.close()
    return shutdown.reason


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="test service for status_file.py")
    add_service_arguments(parser, status_file_required=True)
    parser.add_argument("--mode", choices=["async", "thread"], default="async")
    parser.add_argument("--wait-timeout", type=float, default=20.0)
    args = parser.parse_args()
    shutdown = Shutdown()
    shutdown.install_signal_handlers()
    status = StatusFile.wait(args.status_file, timeout=args.wait_timeout)
    try:
        ports = select_ports(args, count=2)
    except PortSelectionError as exc:
        status.write_failed(str(exc))
        print(f"startup failed: {exc}", file=sys.stderr)
        sys.exit(1)
    monitor = InactivityMonitor(args.timeout)
    if args.mode == "async":
        reason = asyncio.run(run_async(status, shutdown, monitor, ports, args.host))
    else:
        reason = run_threaded(status, shutdown, monitor, ports, args.host)
    status.finish()
    print(f"clean shutdown: {reason}", flush=True)
