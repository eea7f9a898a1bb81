"""Cancel and timeouts on the ``spawn`` and ``process`` executors.

A transformer writes "<pid> <count>" to a heartbeat file in a loop. ``spawn``: cancel (or a
timeout) terminates the worker process running it (the heartbeat stops), the slot takes the next
transformation, and nothing of the canceled one is stored. ``process``: a thread cannot be
killed; cancel says so (``stopped=False``) and nothing is stored.
"""

from __future__ import annotations

import os

import pytest
from seamless import Checksum
from seamless_testing.heartbeat import (
    heartbeat_code,
    heartbeat_result_checksum,
    wait_for_heartbeat,
    wait_for_heartbeat_stop,
    wait_for_process_end,
)

from seamless_transformer import delayed, spawn
from seamless_transformer.cancel import CancelOutcome
from seamless_transformer.event_loop import run_sync
from seamless_transformer.worker_pool import get_worker_pool_registry, shutdown_workers

heartbeat = delayed(heartbeat_code)


@delayed
def whoami(x):
    import os

    return [x, os.getpid()]


def assert_nothing_stored(tf_checksum: Checksum, result: Checksum) -> None:
    from seamless_remote import buffer_remote
    from seamless_transformer import persistence
    from seamless_transformer.transformation_cache import get_transformation_cache

    assert get_transformation_cache().get_result(tf_checksum) is None
    assert run_sync(persistence.get_transformation_result(tf_checksum), what="test") is None
    (length,) = run_sync(buffer_remote.get_buffer_lengths([result]), what="test")
    assert length is None


@pytest.fixture
def one_worker():
    spawn(1)
    yield get_worker_pool_registry().get()
    shutdown_workers()


@pytest.mark.timeout(180)
def test_spawn_cancel_terminates_the_worker(one_worker, persistent, tmp_path):
    path = tmp_path / "beat"
    rounds = 100_000
    tf = heartbeat(str(path), rounds).start()
    pid = wait_for_heartbeat(path)
    assert pid in one_worker.pids()
    assert tf.cancel() is True
    assert tf.cancel_outcome == CancelOutcome(True, executor="spawn", stopped=True)
    assert tf.status == "Status: canceled"
    wait_for_process_end(pid)
    wait_for_heartbeat_stop(path)
    # the slot takes the next transformation, in a fresh worker process
    x, new_pid = whoami(1).run()
    assert x == 1 and new_pid != pid
    assert one_worker.pids() == [new_pid]
    assert_nothing_stored(tf.transformation_checksum, heartbeat_result_checksum(path, rounds))
    assert not tf.cancel()  # terminal


@pytest.mark.timeout(180)
def test_spawn_timeout_terminates_the_worker(one_worker, persistent, tmp_path):
    path = tmp_path / "beat"
    rounds = 100_000
    with_timeout = delayed(heartbeat_code)
    with_timeout.timeout = 3
    tf = with_timeout(str(path), rounds)
    assert tf.timeout == 3.0
    tf.start()
    pid = wait_for_heartbeat(path)
    with pytest.raises(Exception, match="timed out after 3 s"):
        tf.run()
    assert tf.exception == "Transformation timed out after 3 s"
    wait_for_process_end(pid)
    wait_for_heartbeat_stop(path)
    x, new_pid = whoami(2).run()
    assert x == 2 and new_pid != pid
    assert_nothing_stored(tf.transformation_checksum, heartbeat_result_checksum(path, rounds))


@pytest.mark.timeout(120)
def test_config_timeout_default(one_worker, tmp_path):
    from seamless_config import select

    path = tmp_path / "beat"
    assert heartbeat(str(path), 10).timeout is None  # none by default
    select.select_timeout(2)
    tf = heartbeat(str(path), 100_000)
    assert tf.timeout == 2.0
    tf.compute()
    assert tf.exception == "Transformation timed out after 2 s"
    quick = delayed(heartbeat_code)
    quick.timeout = 60  # the transformer's own timeout wins
    assert quick(str(path), 1).timeout == 60.0


@pytest.mark.timeout(120)
def test_process_cancel_cannot_stop_the_thread(persistent, tmp_path):
    path = tmp_path / "beat"
    rounds = 60  # ~3 s: the abandoned thread ends by itself
    tf = heartbeat(str(path), rounds).start()
    pid = wait_for_heartbeat(path)
    assert pid == os.getpid()  # the process executor: a thread of this process
    assert tf.cancel() is True
    assert tf.cancel_outcome == CancelOutcome(True, executor="process", stopped=False)
    assert tf.status == "Status: canceled"
    # the thread runs on until its end (it cannot be killed) ...
    _, count = wait_for_heartbeat_stop(path)
    assert count == rounds - 1
    # ... but its result is thrown away
    assert_nothing_stored(tf.transformation_checksum, heartbeat_result_checksum(path, rounds))


@pytest.mark.timeout(120)
def test_the_heartbeat_result_checksum_is_the_real_one(tmp_path):
    """So that "no buffer stored" above checks the right checksum."""
    path = tmp_path / "beat"
    tf = heartbeat(str(path), 2)
    assert tf.compute() == heartbeat_result_checksum(path, 2)


def test_timeout_validation():
    from seamless_transformer.errors import TransformationError

    t = delayed(heartbeat_code)
    with pytest.raises(TransformationError, match="Transformer.timeout must be"):
        t.timeout = -1
    t.timeout = 1.5
    assert t.meta["timeout"] == 1.5
    t.timeout = None
    assert "timeout" not in t.meta


@delayed
def with_multiprocessing_children(x):
    import multiprocessing

    # a pool's children are daemon processes: only a non-daemon process may start them
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        return sum(pool.map(abs, [x, -x]))


@pytest.mark.timeout(180)
def test_spawn_transformer_starts_multiprocessing_children(one_worker):
    assert with_multiprocessing_children(-21).run() == 42


@pytest.mark.timeout(180)
def test_spawn_cancel_ends_the_children_of_a_bash_transformer(one_worker, tmp_path):
    """The worker leads its own process group: a cancel ends the commands bash started."""
    import time

    pidfile = tmp_path / "child.pid"
    bash = delayed("sleep 300 & echo $! > $pidfile; wait; echo done > RESULT", "bash")
    tf = bash(pidfile=str(pidfile)).start()
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline, "the bash transformer never started its child"
        time.sleep(0.05)
    child = int(pidfile.read_text())
    os.kill(child, 0)  # it runs
    assert tf.cancel() is True
    wait_for_process_end(child)
    assert whoami(3).run()[0] == 3  # the slot takes the next one


PARENT_SCRIPT = """
import sys, time
from seamless_transformer import delayed, spawn

@delayed
def sleeper(path):
    import os, time
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(300)

if __name__ == "__main__":
    spawn(1)
    sleeper(sys.argv[1]).start()
    time.sleep(300)
"""


@pytest.mark.timeout(180)
def test_spawn_workers_end_when_the_parent_is_killed(tmp_path):
    """The parent is SIGKILLed (no shutdown runs): the watchdog in its worker ends the worker."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(PARENT_SCRIPT)
    pidfile = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, str(script), str(pidfile)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while not pidfile.exists() or not pidfile.read_text().strip():
            assert parent.poll() is None, "the parent script failed"
            assert time.monotonic() < deadline, "the transformation never started"
            time.sleep(0.1)
        worker = int(pidfile.read_text())
        assert worker != parent.pid
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
        wait_for_process_end(worker)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(30)
