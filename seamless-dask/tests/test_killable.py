"""Killable Dask workers (``seamless-dask.killable``): cancel and timeouts stop the code.

A real LocalCluster (worker processes under nannies, not daemons) whose workers run the code of
each transformation in a Seamless worker process, with the test's real hashserver and database.
A heartbeat transformer is canceled (or times out): the Seamless worker process running it ends,
the heartbeat stops, nothing is stored, and the Dask worker takes the next transformation
(it has one ``S`` slot, so a task still running would block it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from seamless.transformer import delayed
from seamless_testing.heartbeat import (
    heartbeat_code,
    heartbeat_result_checksum,
    wait_for_heartbeat,
    wait_for_heartbeat_stop,
    wait_for_process_end,
)

ROUNDS = 100_000  # ~80 min of heartbeat: only a kill ends it within the test
TIMEOUT = 10


@delayed
def whoami(x):
    import os

    return [x, os.getpid()]


def _nothing_stored(tf_checksum: Any, result: Any) -> None:
    from seamless_remote import buffer_remote
    from seamless_transformer import persistence
    from seamless_transformer.event_loop import run_sync

    assert run_sync(persistence.get_transformation_result(tf_checksum), what="test") is None
    (length,) = run_sync(buffer_remote.get_buffer_lengths([result]), what="test")
    assert length is None


def _dask_worker_pids(client: Any) -> set[int]:
    return set(client.client.run(os.getpid).values())


@pytest.fixture
def killable_dask(persistent: dict[str, Any]) -> Iterator[Any]:
    """Execution 'remote' through a SeamlessDaskClient on a killable LocalCluster (1 Dask
    worker process, 3 threads, 1 Seamless worker)."""
    import dask.config
    from distributed import Client, LocalCluster

    from seamless_config import select
    from seamless_dask.client import SeamlessDaskClient
    from seamless_dask.transformer_client import set_seamless_dask_client

    select.select_execution("remote")
    select.select_remote("daskserver")
    # the nannies hand their Dask config to the worker processes they start
    with dask.config.set({"seamless-dask.killable": True, "distributed.worker.daemon": False}):
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=3,
            processes=True,
            resources={"S": 1},
            dashboard_address=":0",
            host="127.0.0.1",
        )
    with cluster, Client(cluster, set_as_default=False) as dask_client:
        client = SeamlessDaskClient(dask_client, worker_plugin_workers=1, remote_clients=persistent)
        set_seamless_dask_client(client)
        try:
            yield client
        finally:
            set_seamless_dask_client(None)
            client.close(close_client=False)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_killable_worker_stops_the_code(how: str, killable_dask: Any, tmp_path: Path) -> None:
    from seamless_transformer.cancel import CancelOutcome

    assert killable_dask.probe_killable() is True
    path = tmp_path / "beat"
    transformer = delayed(heartbeat_code)
    if how == "timeout":
        # counted by the Dask worker from the start of the code (not the queue or the start of
        # the Seamless worker process); generous, for a loaded machine
        transformer.timeout = TIMEOUT
    tf = transformer(str(path), ROUNDS).start()
    try:
        pid = wait_for_heartbeat(path)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the transformation: {tf.status}, {tf.exception}") from None
    # the code runs in a Seamless worker process under the Dask worker
    assert pid != os.getpid() and pid not in _dask_worker_pids(killable_dask)
    if how == "cancel":
        assert tf.cancel() is True
        assert tf.cancel_outcome == CancelOutcome(True, "daskserver", stopped=True)
        assert tf.status == "Status: canceled"
    else:
        tf.compute()
        assert tf.exception == f"Transformation timed out after {TIMEOUT} s"
    wait_for_process_end(pid)  # the Seamless worker process was terminated...
    _, count = wait_for_heartbeat_stop(path)  # ...so the heartbeat stopped early
    assert count < ROUNDS - 1
    _nothing_stored(tf.transformation_checksum, heartbeat_result_checksum(path, ROUNDS))
    # the Dask worker's single S slot is free: the next transformation runs, in a fresh
    # Seamless worker process
    x, new_pid = whoami(how).run()
    assert x == how and new_pid != pid
    assert new_pid not in _dask_worker_pids(killable_dask)


@pytest.mark.timeout(300)
def test_killable_worker_stores_results(killable_dask: Any, tmp_path: Path) -> None:
    """Uncanceled work runs in the Seamless worker process and is stored as usual."""
    from seamless_transformer import persistence
    from seamless_transformer.event_loop import run_sync

    path = tmp_path / "beat"
    tf = delayed(heartbeat_code)(str(path), 3)
    assert tf.run() == f"finished 3 rounds: {path}"
    stored = run_sync(persistence.get_transformation_result(tf.transformation_checksum), what="t")
    assert stored is not None and stored.hex() == heartbeat_result_checksum(path, 3).hex()
    pid, _ = wait_for_heartbeat_stop(path)
    assert pid not in _dask_worker_pids(killable_dask) and pid != os.getpid()


def test_a_daemon_process_cannot_be_killable() -> None:
    """A Dask worker that is a daemon process cannot start the pool: a clear error."""
    import multiprocessing

    from seamless_dask.errors import DaemonWorkerError
    from seamless_dask.killable import check_can_start_children

    check_can_start_children()  # this (main) process may start children
    process = multiprocessing.current_process()
    saved = process.daemon
    process.daemon = True  # as in a daemonic Dask worker process
    try:
        with pytest.raises(DaemonWorkerError, match="distributed.worker.daemon: false"):
            check_can_start_children()
    finally:
        process.daemon = saved


@delayed
def nested_pids(x):
    import os

    from seamless.transformer import delayed

    @delayed
    def inner(y):
        import os

        return [y * 2, os.getpid()]

    doubled, inner_pid = inner(x).run()
    return [doubled + 1, os.getpid(), inner_pid]


@pytest.mark.timeout(300)
def test_killable_nested_transformation_runs_in_the_seamless_worker(killable_dask: Any) -> None:
    """As on spawn: a transformation started by the code runs in the same worker process."""
    value, outer_pid, inner_pid = nested_pids(20).run()
    assert value == 41
    assert inner_pid == outer_pid
    assert outer_pid not in _dask_worker_pids(killable_dask) and outer_pid != os.getpid()
