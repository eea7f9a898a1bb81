"""Our client with `execution: remote` and `remote: jobserver`: direct, delayed with
dependencies, TransformationList, errors, cancel; a second client process gets database hits."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from seamless_testing.servers import run_jobserver
from wire import http

pytestmark = pytest.mark.timeout(300)

SCRIPT = Path(__file__).with_name("client_script.py")


def _client(url: str, clients: dict, side_effects: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), url, json.dumps(clients), str(side_effects)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_client_processes(remote_clients, side_effects: Path, tmp_path: Path):
    with run_jobserver(remote_clients, workers=2, log_path=tmp_path / "js.log") as js:
        first = _client(js.url, remote_clients, side_effects)
        assert first["direct"] == 2
        assert first["chain"] == 10
        assert first["list"] == [20, 22, 24, 26, 28]
        assert "ValueError" in first["exception"] and "cannot handle frob" in first["exception"]
        executed = sorted(side_effects.read_text().split(), key=int)
        assert executed == ["1", "2", "3", "10", "11", "12", "13", "14"]
        second = _client(js.url, remote_clients, side_effects)
    assert {k: second[k] for k in ("direct", "chain", "list")} == {
        k: first[k] for k in ("direct", "chain", "list")
    }
    assert sorted(side_effects.read_text().split(), key=int) == executed  # nothing re-ran
    assert second["stats"]["database_hits"] >= 8
    # only the failing transformation (never stored) goes to the jobserver again
    assert second["stats"]["executed"] == 1


def test_cancel_reaches_the_jobserver(remote_clients, tmp_path: Path):
    import seamless_config
    from seamless_config import select
    from seamless_remote import jobserver_remote
    from seamless_transformer import delayed

    def sleeper(seconds):
        import time

        time.sleep(seconds)
        return seconds

    with run_jobserver(remote_clients, log_path=tmp_path / "js.log") as js:
        seamless_config.set_remote_clients(remote_clients)
        select.select_execution("remote")
        select.select_remote("jobserver")
        jobserver_remote.define_jobserver(js.url)
        try:
            tf = delayed(sleeper)(7.5)
            tf.construct()
            status_url = f"{js.url}/transformation-status/{tf.checksum.hex()}"
            outcome: list = []
            thread = threading.Thread(target=lambda: outcome.append(tf.compute()))
            tf.start()
            thread.start()
            deadline = time.monotonic() + 60
            while json.loads(http(status_url)[1])["status"] != "running":
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.05)
            assert tf.cancel() is True
            deadline = time.monotonic() + 30
            while json.loads(http(status_url)[1])["status"] != "canceled":
                assert time.monotonic() < deadline, "the cancel never reached the jobserver"
                time.sleep(0.05)
            thread.join(60)
            assert outcome == [None]
        finally:
            jobserver_remote.deactivate()
