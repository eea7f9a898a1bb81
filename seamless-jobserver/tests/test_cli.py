"""The seamless-jobserver command: --help, the status-file handshake, startup failures and
the inactivity timeout."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from seamless_testing.servers import find_server_binary, free_port, run_jobserver

pytestmark = pytest.mark.timeout(180)


def test_help_names_every_option():
    out = subprocess.run(
        [find_server_binary("seamless-jobserver"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--port", "--port-range", "--host", "--status-file", "--timeout", "--workers"):
        assert option in out


def test_bad_arguments_exit_2_naming_the_option():
    result = subprocess.run(
        [find_server_binary("seamless-jobserver"), "--workers", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--workers" in result.stderr


def test_inactivity_timeout_shuts_down_cleanly(remote_clients_session, tmp_path: Path):
    with run_jobserver(remote_clients_session, idle_timeout=3, log_path=tmp_path / "js.log") as js:
        process = js.process
        assert process is not None
        assert process.wait(timeout=60) == 0
        assert not js.path.exists()  # the status file is removed, as the protocol says
    log = (tmp_path / "js.log").read_text()
    assert "shutting down (no activity for 3 seconds)" in log


def test_record_mode_in_parameters_fails_startup_with_a_status(tmp_path: Path):
    status_file = tmp_path / "status.json"
    status_file.write_text(json.dumps({"status": "starting", "parameters": {"record": True}}))
    argv = [
        find_server_binary("seamless-jobserver"),
        "--port",
        str(free_port()),
        "--status-file",
        str(status_file),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "record" in result.stderr
    contents = json.loads(status_file.read_text())
    assert contents["status"] == "failed" and "record mode" in contents["error"]


def test_port_range_is_honoured(remote_clients_session, tmp_path: Path):
    start = free_port()
    status_file = tmp_path / "status.json"
    status_file.write_text(json.dumps({"status": "starting", "parameters": remote_clients_session}))
    argv = [
        find_server_binary("seamless-jobserver"),
        "--port-range",
        str(start),
        str(start),
        "--status-file",
        str(status_file),
        "--timeout",
        "2",
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        contents: dict = {}
        while time.monotonic() < deadline:
            try:
                contents = json.loads(status_file.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                contents = {}
            if contents.get("status") == "running":
                break
            time.sleep(0.1)
        assert contents.get("status") == "running" and contents["port"] == start
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_remote_clients_from_the_environment_without_a_status_file(
    remote_clients_session, tmp_path: Path
):
    """``seamless-jobserver --port P`` with SEAMLESS_REMOTE_CLIENTS (no status file) serves."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEAMLESS_", "HASHSERVER_"))}
    # the variable holds the view from inside the cluster (remote_url), as a launcher writes it
    inside = {
        kind: [{**e, "remote_url": e["url"]} for e in remote_clients_session.get(kind, [])]
        for kind in ("database", "buffer")
    }
    env["SEAMLESS_REMOTE_CLIENTS"] = json.dumps(inside)
    argv = [find_server_binary("seamless-jobserver"), "--port", str(port), "--timeout", "3"]
    log = tmp_path / "js.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90
        healthy = False
        while not healthy and process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthcheck", timeout=1
                ) as response:
                    healthy = response.status == 200
            except OSError:
                time.sleep(0.1)
        assert healthy, log.read_text()
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text()
