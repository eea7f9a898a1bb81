"""seamless-dask-wrapper as a process: handshake, /health, worker threads/processes, shutdown."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from distributed import Client

from seamless_dask import _status_file

WRAPPER = shutil.which("seamless-dask-wrapper") or str(
    Path(sys.executable).with_name("seamless-dask-wrapper")
)


def start_wrapper(
    tmp_path: Path, parameters: dict, *, timeout: float = 120
) -> tuple[subprocess.Popen, Path]:
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"status": "starting", "parameters": parameters}))
    start = _status_file.pick_free_ports(1)[0]
    port_range = (start, min(start + 200, 65535)) if start < 65000 else (start - 200, start)
    proc = subprocess.Popen(
        [
            WRAPPER,
            "distributed::LocalCluster",
            "--port-range",
            *map(str, port_range),
            "--status-file",
            str(status),
            "--host",
            "127.0.0.1",
            "--timeout",
            str(timeout),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        contents = json.loads(status.read_text() or "{}") if status.exists() else {}
        if contents.get("status") == "running":
            return proc, status
        assert contents.get("status") != "failed", contents
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("wrapper did not start")


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    return out


@pytest.mark.timeout(180)
def test_seamless_mode_threads_resources_and_sigterm(tmp_path: Path) -> None:
    proc, status = start_wrapper(
        tmp_path, {"memory": "1GiB", "cores": 1, "walltime": "01:00:00", "maximum_jobs": 1}
    )
    try:
        contents = json.loads(status.read_text())
        health = urllib.request.urlopen(
            f"http://127.0.0.1:{contents['dashboard_port']}/health", timeout=10
        ).read()
        assert health == b"ok"
        with Client(f"tcp://127.0.0.1:{contents['port']}", timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            workers = list(client.scheduler_info()["workers"].values())
            assert len(workers) == 1
            assert workers[0]["nthreads"] == 3  # cores x transformation throttle
            assert workers[0]["resources"] == {"S": 1.0}
            env = client.run(
                lambda: __import__("os").environ.get("SEAMLESS_WORKER_TRANSFORMATION_THROTTLE")
            )
            assert list(env.values()) == ["3"]
            assert client.submit(sum, [1, 2], pure=False).result(timeout=30) == 3
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert not status.exists()  # running was written: a clean shutdown removes the file
    assert "shutting down (signal SIGTERM)" in out


@pytest.mark.timeout(180)
def test_killable_queue_gives_killable_workers(tmp_path: Path) -> None:
    """`killable: true` in the parameters: the wrapper's workers run Seamless code in worker
    processes of their own (the client's probe says so) and are not daemons."""
    from seamless_dask.client import SeamlessDaskClient

    params = {"memory": "1GiB", "cores": 1, "walltime": "01:00:00", "maximum_jobs": 1}
    proc, status = start_wrapper(tmp_path, {**params, "killable": True})
    try:
        contents = json.loads(status.read_text())
        with Client(f"tcp://127.0.0.1:{contents['port']}", timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            seamless_client = SeamlessDaskClient(client, worker_plugin_workers=1)
            try:
                assert seamless_client.probe_killable() is True
                assert seamless_client.killable
            finally:
                seamless_client.close(close_client=False)
            daemon = client.run(lambda: __import__("multiprocessing").current_process().daemon)
            assert list(daemon.values()) == [False]
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out


@pytest.mark.timeout(180)
def test_pure_dask_mode_threads_and_inactivity(tmp_path: Path) -> None:
    proc, status = start_wrapper(
        tmp_path,
        {
            "memory": "1GiB",
            "cores": 4,
            "walltime": "01:00:00",
            "maximum_jobs": 1,
            "pure_dask": True,
            "worker_threads": 2,
            "processes": 2,
        },
        timeout=4,
    )
    try:
        contents = json.loads(status.read_text())
        with Client(f"tcp://127.0.0.1:{contents['port']}", timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            workers = list(client.scheduler_info()["workers"].values())
            assert sorted(w["nthreads"] for w in workers) == [2, 2]
            assert all(not w["resources"] for w in workers)
            env = client.run(
                lambda: __import__("os").environ.get("SEAMLESS_WORKER_TRANSFORMATION_THROTTLE")
            )
            assert set(env.values()) == {None}
            time.sleep(6)  # a connected client is activity: still alive after the timeout
            assert proc.poll() is None
        proc.wait(timeout=60)  # no client, no task: exits after ~4 s
        out = proc.stdout.read() if proc.stdout else ""
    finally:
        out = stop(proc) if proc.poll() is None else out
    assert proc.returncode == 0
    assert "no activity for 4 seconds" in out
    assert not status.exists()


def test_bad_parameters_mark_failed(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"status": "starting", "parameters": {"cores": 1}}))
    proc = subprocess.run(
        [
            WRAPPER,
            "distributed::LocalCluster",
            "--port-range",
            "40000",
            "40100",
            "--status-file",
            str(status),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    contents = json.loads(status.read_text())
    assert contents["status"] == "failed" and "'memory'" in contents["error"]
    assert "'memory'" in proc.stderr
