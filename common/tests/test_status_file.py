"""Tests of common/status_file.py: real files, real sockets, a real service subprocess."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import status_file
from status_file import (
    InactivityMonitor,
    PortSelectionError,
    Shutdown,
    StatusFile,
    StatusFileError,
    add_service_arguments,
    is_port_bindable,
    pick_free_ports,
    select_ports,
    write_json_atomic,
)

SCRIPT = Path(__file__).resolve().parent / "service_script.py"


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(status_file).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == "status_file"
    }
    public |= {"DEFAULT_HOST", "STATUS_FILE_WAIT_TIMEOUT"}
    assert status_file.__all__ == sorted(status_file.__all__)
    assert set(status_file.__all__) == public


# ---------------------------------------------------------------------------- arguments


def _parser(**kwargs: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="svc")
    add_service_arguments(parser, **kwargs)
    return parser


def test_arguments_defaults() -> None:
    args = _parser().parse_args([])
    assert (args.port, args.port_range, args.host, args.status_file, args.timeout) == (
        None,
        None,
        "127.0.0.1",
        None,
        None,
    )


def test_arguments_parse_all() -> None:
    args = _parser().parse_args(
        [
            "--port-range",
            "4000",
            "4010",
            "--host",
            "0.0.0.0",
            "--status-file",
            "s.json",
            "--timeout",
            "2.5",
        ]
    )
    assert args.port_range == [4000, 4010]
    assert args.host == "0.0.0.0"
    assert args.status_file == "s.json"
    assert args.timeout == 2.5


@pytest.mark.parametrize(
    "argv",
    [
        ["--timeout", "0"],
        ["--timeout", "-3"],
        ["--timeout", "soon"],
        ["--port", "70000"],
        ["--port", "1", "--port-range", "2", "3"],
    ],
)
def test_arguments_rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(argv)
    assert info.value.code == 2
    assert "svc: error" in capsys.readouterr().err


def test_port_range_required() -> None:
    parser = _parser(port_range_required=True, status_file_required=True)
    with pytest.raises(SystemExit):
        parser.parse_args(["--status-file", "x"])
    args = parser.parse_args(["--status-file", "x", "--port-range", "1", "2"])
    assert not hasattr(args, "port") and args.port_range == [1, 2]


# ---------------------------------------------------------------------------- ports


def test_pick_free_ports_os_assigned_distinct_and_bindable() -> None:
    ports = pick_free_ports(3)
    assert len(set(ports)) == 3
    assert all(is_port_bindable("127.0.0.1", p) for p in ports)


def _three_free_consecutive_ports() -> int:
    for _ in range(50):
        start = min(pick_free_ports(1)[0], 65535 - 2)
        if all(is_port_bindable("127.0.0.1", p) for p in range(start, start + 3)):
            return start
    raise AssertionError("no three consecutive free ports found")


def test_pick_free_ports_from_range_skips_busy_port() -> None:
    start = _three_free_consecutive_ports()
    with socket.create_server(("127.0.0.1", start + 1)):
        ports = pick_free_ports(2, port_range=(start, start + 2))
    assert sorted(ports) == [start, start + 2]


def test_pick_free_ports_random_order() -> None:
    start = pick_free_ports(1)[0]
    start = min(start, 65535 - 40)
    seen = {pick_free_ports(1, port_range=(start, start + 40))[0] for _ in range(20)}
    assert len(seen) > 1


def test_pick_free_ports_range_exhausted() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(PortSelectionError, match=rf"--port-range {port} {port}.*need 1"):
            pick_free_ports(1, port_range=(port, port))


def test_pick_free_ports_bad_range() -> None:
    with pytest.raises(PortSelectionError, match="START <= END"):
        pick_free_ports(1, port_range=(5000, 4000))


def test_select_ports_variants() -> None:
    free = pick_free_ports(1)[0]
    by_port = select_ports(
        argparse.Namespace(host="127.0.0.1", port=free, port_range=None), count=2
    )
    assert by_port[0] == free and by_port[1] != free
    low = min(free, 65535 - 20)
    by_range = select_ports(
        argparse.Namespace(host="127.0.0.1", port=None, port_range=[low, low + 20]), count=2
    )
    assert all(low <= p <= low + 20 for p in by_range) and len(set(by_range)) == 2
    assert len(select_ports(argparse.Namespace(host="127.0.0.1"), count=1)) == 1
    with socket.create_server(("127.0.0.1", 0)) as busy:
        taken = busy.getsockname()[1]
        with pytest.raises(PortSelectionError, match=f"--port {taken}"):
            select_ports(argparse.Namespace(host="127.0.0.1", port=taken))


# ---------------------------------------------------------------------------- the file


def test_write_json_atomic_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"b": 2})
    assert json.loads(target.read_text()) == {"b": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_wait_reads_file_written_late(tmp_path: Path) -> None:
    path = tmp_path / "late.json"
    timer = threading.Timer(0.3, lambda: path.write_text('{"status": "starting", "x": 1}'))
    timer.start()
    start = time.monotonic()
    status = StatusFile.wait(path, timeout=5)
    assert time.monotonic() - start >= 0.25
    assert status.contents == {"status": "starting", "x": 1}


def test_wait_times_out(tmp_path: Path) -> None:
    with pytest.raises(StatusFileError, match="not found after 0.2 seconds") as info:
        StatusFile.wait(tmp_path / "never.json", timeout=0.2)
    assert info.value.path.endswith("never.json")


@pytest.mark.parametrize(
    ("text", "message"), [("[1, 2]", "JSON object, not list"), ("{nope", "not valid JSON")]
)
def test_wait_rejects_bad_contents(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(StatusFileError, match=message):
        StatusFile.wait(path, timeout=0.2)


def test_running_keeps_launcher_keys_then_finish_removes(tmp_path: Path) -> None:
    path = tmp_path / "svc.json"
    launcher = {"status": "starting", "pid": 12, "parameters": {"workers": 2}, "log": "x.log"}
    path.write_text(json.dumps(launcher))
    status = StatusFile.wait(path)
    assert status.parameters == {"workers": 2}
    status.write_running(4100, dashboard_port=4101)
    assert json.loads(path.read_text()) == {
        **launcher,
        "status": "running",
        "port": 4100,
        "dashboard_port": 4101,
    }
    status.finish()
    assert not path.exists()
    status.finish()  # idempotent
    assert not path.exists()


def test_failed_and_finish_before_running(tmp_path: Path) -> None:
    path = tmp_path / "svc.json"
    path.write_text('{"status": "starting", "pid": 1}')
    status = StatusFile.wait(path)
    status.write_failed("--port-range 1 2: no free port")
    assert json.loads(path.read_text()) == {
        "status": "failed",
        "pid": 1,
        "error": "--port-range 1 2: no free port",
    }
    status.finish()
    assert json.loads(path.read_text())["status"] == "failed"


def test_write_running_validates_names(tmp_path: Path) -> None:
    path = tmp_path / "svc.json"
    path.write_text("{}")
    status = StatusFile.wait(path)
    with pytest.raises(ValueError, match="dashboard"):
        status.write_running(4000, dashboard=4001)
    with pytest.raises(ValueError, match="port=0"):
        status.write_running(0)
    assert json.loads(path.read_text()) == {}


# ---------------------------------------------------------------------------- monitor


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_monitor_logic_with_fake_clock() -> None:
    clock = FakeClock()
    monitor = InactivityMonitor(10, clock=clock)
    clock.now += 6
    assert monitor.remaining() == pytest.approx(4) and not monitor.expired
    monitor.touch()
    clock.now += 9
    assert not monitor.expired
    with monitor.busy():
        clock.now += 50
        assert monitor.idle_seconds() == 0 and not monitor.expired
    clock.now += 9.5
    assert not monitor.expired
    clock.now += 0.5
    assert monitor.expired
    assert not InactivityMonitor(None, clock=clock).expired
    with pytest.raises(ValueError, match="--timeout"):
        InactivityMonitor(0)


def test_monitor_async_expires_and_touch_delays() -> None:
    async def main() -> float:
        monitor = InactivityMonitor(0.3)
        shutdown = Shutdown()
        start = time.monotonic()
        task = asyncio.create_task(monitor.watch_async(shutdown, max_poll=0.05))
        await asyncio.sleep(0.2)
        monitor.touch()
        reason = await asyncio.wait_for(shutdown.wait_async(), 3)
        await task
        assert reason == "no activity for 0.3 seconds"
        return time.monotonic() - start

    assert asyncio.run(main()) >= 0.45


def test_monitor_thread_requests_shutdown() -> None:
    monitor = InactivityMonitor(0.2)
    shutdown = Shutdown()
    thread = monitor.watch(shutdown, max_poll=0.05)
    assert shutdown.wait(3)
    thread.join(1)
    assert shutdown.reason == "no activity for 0.2 seconds"


def test_monitor_thread_stops_on_other_shutdown() -> None:
    shutdown = Shutdown()
    thread = InactivityMonitor(None).watch(shutdown, max_poll=0.05)
    shutdown.request("test")
    thread.join(2)
    assert not thread.is_alive() and shutdown.reason == "test"


def test_shutdown_from_thread_wakes_asyncio() -> None:
    async def main() -> str:
        shutdown = Shutdown()
        threading.Timer(0.1, shutdown.request, args=("from thread",)).start()
        return await asyncio.wait_for(shutdown.wait_async(), 3)

    assert asyncio.run(main()) == "from thread"


def test_shutdown_first_reason_wins_and_late_waiters_return() -> None:
    shutdown = Shutdown()
    shutdown.request("first")
    shutdown.request("second")
    assert shutdown.requested and shutdown.reason == "first"
    assert asyncio.run(shutdown.wait_async()) == "first"


def test_signal_handler_requests_shutdown() -> None:
    shutdown = Shutdown()
    restore = shutdown.install_signal_handlers(["SIGUSR1"])
    try:
        signal.raise_signal(signal.SIGUSR1)
        assert shutdown.wait(3)
        assert shutdown.reason == "signal SIGUSR1"
    finally:
        restore()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


# ---------------------------------------------------------------------------- subprocess


def _start(tmp_path: Path, *args: str, write_status: bool = True) -> tuple[subprocess.Popen, Path]:
    status = tmp_path / "server" / "svc.json"
    status.parent.mkdir()
    if write_status:
        status.write_text(json.dumps({"status": "starting", "parameters": {"a": 1}}))
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--status-file", str(status), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, status


def _wait_running(proc: subprocess.Popen, status: Path, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"service exited early: {proc.communicate()}")
        try:
            data = json.loads(status.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            data = {}
        if data.get("status") == "running":
            return data
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"service never wrote running: {proc.communicate()}")


def _connect(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        return conn.recv(10)


@pytest.mark.parametrize("mode", ["async", "thread"])
def test_service_sigterm_clean_exit(tmp_path: Path, mode: str) -> None:
    low = min(pick_free_ports(1)[0], 65535 - 50)
    proc, status = _start(tmp_path, "--mode", mode, "--port-range", str(low), str(low + 50))
    try:
        data = _wait_running(proc, status)
        assert data["parameters"] == {"a": 1}
        assert low <= data["port"] <= low + 50 and low <= data["dashboard_port"] <= low + 50
        assert data["port"] != data["dashboard_port"]
        assert _connect(data["port"]) == b"OK\n"
        assert _connect(data["dashboard_port"]) == b"OK\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "clean shutdown: signal SIGTERM" in out
    assert not status.exists()
    assert sorted(p.name for p in status.parent.iterdir()) == []


@pytest.mark.parametrize("mode", ["async", "thread"])
def test_service_exits_after_inactivity(tmp_path: Path, mode: str) -> None:
    proc, status = _start(tmp_path, "--mode", mode, "--timeout", "1.0")
    try:
        data = _wait_running(proc, status)
        running_at = time.monotonic()
        time.sleep(0.6)
        assert _connect(data["port"]) == b"OK\n"  # activity postpones the shutdown
        out, err = proc.communicate(timeout=15)
        elapsed = time.monotonic() - running_at
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "clean shutdown: no activity for 1 seconds" in out
    assert elapsed >= 1.5
    assert not status.exists()


def test_service_waits_for_late_status_file(tmp_path: Path) -> None:
    proc, status = _start(tmp_path, write_status=False)
    try:
        time.sleep(0.5)
        assert proc.poll() is None
        status.write_text('{"status": "starting", "pid": 1}')
        data = _wait_running(proc, status)
        assert data["pid"] == 1
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert not status.exists()


def test_service_port_failure_marks_failed(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        proc, status = _start(tmp_path, "--port-range", str(port), str(port))
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 1
    data = json.loads(status.read_text())
    assert data["status"] == "failed"
    assert f"--port-range {port} {port}" in data["error"]
    assert data["parameters"] == {"a": 1}
