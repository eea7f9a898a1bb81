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
