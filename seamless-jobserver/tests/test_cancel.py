"""Cancel and timeouts on the jobserver: the worker process running the job is terminated.

A heartbeat transformer writes "<pid> <count>" to a file in a loop. ``POST
/cancel-transformation/{tf}`` (directly, or sent by a client whose Transformation is canceled)
and a ``__meta__`` timeout stop it: the worker process ends, the heartbeat stops, the single
worker slot takes the next job, and nothing of the canceled job is stored.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import wire
from seamless import Buffer
from seamless_testing.heartbeat import (
    heartbeat_code,
    heartbeat_result_checksum,
    read_beat,
    wait_for_heartbeat,
    wait_for_heartbeat_stop,
    wait_for_process_end,
)
from seamless_testing.servers import ServerHandle, run_jobserver

pytestmark = pytest.mark.timeout(300)

ROUNDS = 100_000  # ~80 minutes: only a cancel or a timeout ends it


def whoami(x):
    import os

    return [x, os.getpid()]


def _next_job_runs_in_a_fresh_worker(url: str, hashserver: ServerHandle, old_pid: int) -> None:
    body = wire.build_request(whoami, 7)
    wire.upload(hashserver.url, body)
    status, text = wire.run(url, body)
    assert status == 200, text
    content = wire.get_buffer(hashserver.url, wire.result_of(text))
    assert content is not None
    x, pid = Buffer(content).get_value("mixed")
    assert x == 7 and pid != old_pid


def _worker_pid(url: str, hashserver: ServerHandle, tag: str) -> int:
    """The PID of the (single) worker, from a job that really runs (``tag`` makes it new)."""
    body = wire.build_request(whoami, tag)
    wire.upload(hashserver.url, body)
    status, text = wire.run(url, body)
    assert status == 200, text
    content = wire.get_buffer(hashserver.url, wire.result_of(text))
    assert content is not None
    x, pid = Buffer(content).get_value("mixed")
    assert x == tag
    return pid


def _timed_out_worker_ends(path: Path, pid: int) -> None:
    """After a timeout: the worker that ran the job is gone and the heartbeat (if the code got
    to beat at all before its timeout) stands still. The timeout tests learn the worker's PID
    from a job run before, not from the heartbeat: on a loaded machine the code may not reach
    its first beat within the timeout, which must still stop it."""
    wait_for_process_end(pid)
    if read_beat(path) is not None:
        wait_for_heartbeat_stop(path)


def _nothing_stored(hashserver: ServerHandle, database: ServerHandle, tf: str, path: Path) -> None:
    assert wire.database_result(database.url, tf) is None
    assert wire.get_buffer(hashserver.url, heartbeat_result_checksum(path, ROUNDS)) is None


def test_cancel_terminates_the_worker_process(
    remote_clients_session, hashserver_session, database_session, tmp_path: Path
):
    path = tmp_path / "beat"
    body = wire.build_request(heartbeat_code, str(path), ROUNDS)
    wire.upload(hashserver_session.url, body)
    tf = body["tf_checksum"]
    answers: list[tuple[int, str]] = []
    with run_jobserver(remote_clients_session, workers=1, log_path=tmp_path / "js.log") as js:
        waiter = threading.Thread(target=lambda: answers.append(wire.run(js.url, body)))
        waiter.start()
        pid = wait_for_heartbeat(path)
        assert pid != js.process.pid
        status, text = wire.http(f"{js.url}/cancel-transformation/{tf}", method="POST")
        assert status == 200 and json.loads(text) == {"canceled": True, "status": "canceled"}
        waiter.join(60)
        assert answers == [(200, "Transformation was canceled")]
        wait_for_process_end(pid)
        wait_for_heartbeat_stop(path)
        _next_job_runs_in_a_fresh_worker(js.url, hashserver_session, pid)
    _nothing_stored(hashserver_session, database_session, tf, path)


def test_meta_timeout_terminates_the_worker_process(
    remote_clients_session, hashserver_session, database_session, tmp_path: Path
):
    path = tmp_path / "beat"
    body = wire.build_request(heartbeat_code, str(path), ROUNDS)
    body["transformation_dict"]["__meta__"]["timeout"] = 3  # not part of the checksum
    wire.upload(hashserver_session.url, body)
    tf = body["tf_checksum"]
    answers: list[tuple[int, str]] = []
    with run_jobserver(remote_clients_session, workers=1, log_path=tmp_path / "js.log") as js:
        pid = _worker_pid(js.url, hashserver_session, str(tmp_path))
        waiter = threading.Thread(target=lambda: answers.append(wire.run(js.url, body)))
        waiter.start()
        waiter.join(120)
        assert answers == [(500, "Transformation timed out after 3 s")]
        _timed_out_worker_ends(path, pid)
        status_url = f"{js.url}/transformation-status/{tf}"
        assert wire.http(status_url) == (200, json.dumps({"status": "failed"}))
        _next_job_runs_in_a_fresh_worker(js.url, hashserver_session, pid)
    _nothing_stored(hashserver_session, database_session, tf, path)


@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_client_cancel_and_timeout_stop_the_job(
    how, remote_clients_session, hashserver_session, database_session, tmp_path: Path
):
    import seamless_config
    from seamless_config import select
    from seamless_remote import jobserver_remote
    from seamless_transformer import delayed
    from seamless_transformer.cancel import CancelOutcome

    path = tmp_path / "beat"
    with run_jobserver(remote_clients_session, workers=1, log_path=tmp_path / "js.log") as js:
        seamless_config.set_remote_clients(remote_clients_session)
        select.select_execution("remote")
        select.select_remote("jobserver")
        jobserver_remote.define_jobserver(js.url)
        try:
            transformer = delayed(heartbeat_code)
            if how == "timeout":
                select.select_timeout(3)  # the seamless-config default
            tf = transformer(str(path), ROUNDS)
            if how == "cancel":
                tf.start()
                pid = wait_for_heartbeat(path)
                assert tf.cancel() is True
                assert tf.cancel_outcome == CancelOutcome(True, "jobserver", stopped=True)
                wait_for_process_end(pid)
                wait_for_heartbeat_stop(path)
            else:
                pid = _worker_pid(js.url, hashserver_session, str(tmp_path))
                tf.compute()
                assert tf.exception == "Transformation timed out after 3 s"
                _timed_out_worker_ends(path, pid)
            _next_job_runs_in_a_fresh_worker(js.url, hashserver_session, pid)
        finally:
            jobserver_remote.deactivate()
    _nothing_stored(hashserver_session, database_session, tf.transformation_checksum.hex(), path)
