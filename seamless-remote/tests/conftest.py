"""Fixtures for seamless_remote tests: real hashserver / seamless-database on loopback.

Temporary local fixtures until common/testing/servers.py is mirrored as tests/_servers.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess on a fixed free port, with restart()."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.argv = argv
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthcheck", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.argv[0]} did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def hashserver(tmp_path):
    directory = tmp_path / "buffers"
    directory.mkdir()
    port = _free_port()
    server = Server(
        [
            str(BIN / "hashserver"),
            str(directory),
            "--writable",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        port,
        tmp_path / "hashserver.log",
    )
    server.directory = directory
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database(tmp_path):
    port = _free_port()
    server = Server(
        [
            str(BIN / "seamless-database"),
            str(tmp_path / "seamless.db"),
            "--writable",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        port,
        tmp_path / "database.log",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _clean_remote_state(monkeypatch):
    """Clear SEAMLESS_* variables and reset the registries around every test."""
    for name in list(os.environ):
        if name.startswith("SEAMLESS_"):
            monkeypatch.delenv(name)
    from seamless_remote.registry import get_remote_registry
    from seamless_remote.session import get_session_registry

    get_remote_registry().reset()
    yield
    get_remote_registry().reset()
    get_session_registry().reset()
