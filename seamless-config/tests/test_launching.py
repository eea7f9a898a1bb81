"""seamless_config.launching: the launch lock, command lookup, owner-only folders.

Real launches (eight processes on one SEAMLESS_CACHE, two threads relaunching a dead server)
are in seamless-remote/tests/test_launch_safety.py; the unactivated venv in
integration-tests/test_packaging.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seamless_config import launching
from seamless_config.errors import LaunchError

HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, str(os.getpid()).encode(), 0)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
"""


def _conf(tmp_path: Path) -> dict:
    return {
        "workdir": str(tmp_path / "work"),
        "key": "hashserver-test-rw-p",
        "command": "hashserver --status-file {status_file}",
        "handshake": "healthcheck",
        "network_interface": "127.0.0.1",
    }


def _hold(lock: Path, ready: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock), str(ready), str(seconds)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    return proc


@pytest.mark.timeout(60)
def test_a_launch_waits_for_the_lock_of_its_key(home: Path, tmp_path: Path, monkeypatch) -> None:
    import remote_http_launcher

    conf = _conf(tmp_path)
    locks = launching.launcher_directory() / "locks"
    launching.make_private_dirs(locks)
    holder = _hold(locks / "hashserver-test-rw-p.lock", tmp_path / "ready", 60)
    try:
        with pytest.raises(LaunchError) as info:
            launching.launch(conf, lock_timeout=0.5)
        assert f"pid {holder.pid}" in str(info.value) and "still being launched" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    holder = _hold(locks / "hashserver-test-rw-p.lock", tmp_path / "ready2", 1.5)
    calls = []

    def run(config: dict) -> dict:  # records when the launcher is reached
        calls.append(time.monotonic())
        return {"hostname": "127.0.0.1", "port": 1}

    monkeypatch.setattr(remote_http_launcher, "run", run)
    try:
        started = time.monotonic()
        assert launching.launch(conf)["port"] == 1
        assert holder.poll() is not None, "the launcher ran while another process held the lock"
        assert calls and calls[0] - started > 0.5
        assert launching.launch(conf)["port"] == 1 and len(calls) == 1  # memoised
        assert launching.launch(conf, fresh=True)["port"] == 1 and len(calls) == 2
    finally:
        holder.kill()
        holder.wait()


def test_commands_are_found_next_to_the_interpreter_first(tmp_path: Path, monkeypatch) -> None:
    venv_bin = tmp_path / "venv" / "bin"
    other = tmp_path / "other"
    for directory in (venv_bin, other):
        directory.mkdir(parents=True)
        tool = directory / "rhl-inspect"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(other))
    assert launching.find_command("rhl-inspect") == str(venv_bin / "rhl-inspect")
    (venv_bin / "rhl-inspect").unlink()
    assert launching.find_command("rhl-inspect") == str(other / "rhl-inspect")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert launching.find_command("rhl-inspect") is None


def test_a_missing_command_is_a_launch_error_naming_it_and_the_fix(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LaunchError) as info:
        launching.launch(_conf(tmp_path))
    message = str(info.value)
    assert "rhl-inspect" in message and "hashserver" in message
    assert "pip install remote-http-launcher" in message and "pip install hashserver" in message
    assert str(venv_bin) in message
    # a launch over SSH runs the helpers on the remote host: no local lookup
    remote = {**_conf(tmp_path), "hostname": "login.example.org"}
    assert launching._service_executable(remote) == "hashserver"


def test_the_interpreter_directory_is_first_on_path_during_a_launch_only(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    import remote_http_launcher

    seen = []
    monkeypatch.setattr(
        remote_http_launcher, "run", lambda conf: seen.append(os.environ["PATH"]) or {"port": 1}
    )
    monkeypatch.setattr(launching, "_check_commands", lambda conf, key: None)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    launching.launch(_conf(tmp_path))
    assert seen == [f"{Path(sys.executable).parent}:/usr/bin:/bin"]
    assert os.environ["PATH"] == "/usr/bin:/bin"


def test_created_folders_are_owner_only(home: Path, tmp_path: Path, monkeypatch) -> None:
    import remote_http_launcher

    monkeypatch.setattr(remote_http_launcher, "run", lambda conf: {"port": 1})
    monkeypatch.setattr(launching, "_check_commands", lambda conf, key: None)
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    conf = {**_conf(tmp_path), "workdir": str(existing / "cache" / "__TOPLEVEL__")}
    launching.launch(conf)
    for path in (
        existing / "cache",
        existing / "cache" / "__TOPLEVEL__",
        home / ".remote-http-launcher",
        home / ".remote-http-launcher" / "server",
        home / ".remote-http-launcher" / "client",
        home / ".remote-http-launcher" / "locks",
    ):
        assert path.stat().st_mode & 0o777 == 0o700, path
    assert existing.stat().st_mode & 0o777 == 0o755  # an existing folder keeps its mode


def test_a_launch_that_fails_is_tried_again_then_names_every_error(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    """A server that reports "running" and dies before binding (the port was taken) is
    launched again; after LAUNCH_ATTEMPTS failures the LaunchError names each one."""
    import remote_http_launcher

    monkeypatch.setattr(launching, "_check_commands", lambda conf, key: None)
    failures = ["rhl-verify-port failed: [Errno 111] Connection refused"]

    def run(config: dict) -> dict:
        if failures:
            raise remote_http_launcher.LauncherError(failures.pop())
        return {"hostname": "127.0.0.1", "port": 2}

    monkeypatch.setattr(remote_http_launcher, "run", run)
    assert launching.launch(_conf(tmp_path))["port"] == 2
    assert not failures

    calls = []

    def always_fails(config: dict) -> dict:
        calls.append(1)
        raise remote_http_launcher.LauncherError(f"failure {len(calls)}")

    monkeypatch.setattr(remote_http_launcher, "run", always_fails)
    with pytest.raises(LaunchError) as info:
        launching.launch(_conf(tmp_path), fresh=True)
    assert len(calls) == launching.LAUNCH_ATTEMPTS
    message = str(info.value)
    assert "hashserver-test-rw-p" in message
    assert all(f"failure {n}" in message for n in range(1, launching.LAUNCH_ATTEMPTS + 1))
