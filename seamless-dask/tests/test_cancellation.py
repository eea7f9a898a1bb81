"""Cancellation is cooperative: the code may finish, but nothing reaches the database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from seamless.transformer import delayed


@delayed
def slow_marked(marker, delay):
    import pathlib
    import time

    pathlib.Path(marker).write_text("started")
    time.sleep(delay)
    pathlib.Path(marker + ".done").write_text("done")
    return 1


def _database_result(tf_checksum: Any) -> Any:
    from seamless_transformer import persistence
    from seamless_transformer.event_loop import run_sync

    return run_sync(persistence.get_transformation_result(tf_checksum), what="test lookup")


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _wait_until_workers_idle(client: Any, timeout: float = 60) -> None:
    """Poll until no Dask worker runs a task (a cancelled task keeps its thread until its
    function returns; a base task stores its result before it returns)."""

    def running(dask_worker: Any) -> int:
        return len(dask_worker.state.executing) + len(dask_worker.state.long_running)

    deadline = time.monotonic() + timeout
    while any(client.run(running).values()):
        assert time.monotonic() < deadline, "Dask workers still run a task"
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_cancel_running_transformation_writes_nothing(
    persistent: Any, dask_remote: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    tf = slow_marked(str(marker), 2.0).start()
    _wait_for(marker)
    assert tf.cancel() is True
    assert tf.status == "Status: canceled"
    _wait_for(Path(str(marker) + ".done"))  # the code itself ran to its end...
    _wait_until_workers_idle(dask_remote.client)  # ...and its task returned (it stores inline)
    assert _database_result(tf.checksum) is None  # ...but no result was stored
    base_keys = [
        k
        for k in dask_remote.client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.tasks)
        )
        if k.startswith("base-")
    ]
    assert base_keys == []  # released on the scheduler


@pytest.mark.timeout(180)
def test_uncanceled_control_is_stored(persistent: Any, dask_remote: Any, tmp_path: Path) -> None:
    tf = slow_marked(str(tmp_path / "marker"), 0.1)
    assert tf.run() == 1
    assert _database_result(tf.checksum) is not None


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_heartbeat_runs_to_its_end_and_nothing_is_stored(
    how: str, persistent: Any, dask_remote: Any, tmp_path: Path
) -> None:
    """As documented (README, "Cancel and timeouts"): a Dask worker thread cannot be killed."""
    from seamless_testing.heartbeat import (
        heartbeat_code,
        heartbeat_result_checksum,
        wait_for_heartbeat,
        wait_for_heartbeat_stop,
    )

    from seamless_remote import buffer_remote
    from seamless_transformer.cancel import CancelOutcome
    from seamless_transformer.event_loop import run_sync

    path = tmp_path / "beat"
    rounds = 160  # ~8 s
    transformer = delayed(heartbeat_code)
    if how == "timeout":
        # counted from the hand-over to Dask: long enough for the task to start, far shorter
        # than the code's own run time
        transformer.timeout = 4
    tf = transformer(str(path), rounds).start()
    wait_for_heartbeat(path)
    if how == "cancel":
        assert tf.cancel() is True
        assert tf.cancel_outcome == CancelOutcome(True, "daskserver", stopped=False)
    else:
        tf.compute()
        assert tf.exception == "Transformation timed out after 4 s"
    _, count = wait_for_heartbeat_stop(path)
    assert count == rounds - 1  # the code ran to its end...
    assert _database_result(tf.transformation_checksum) is None  # ...and nothing was stored
    (length,) = run_sync(
        buffer_remote.get_buffer_lengths([heartbeat_result_checksum(path, rounds)]), what="test"
    )
    assert length is None
    assert slow_marked(str(tmp_path / "next"), 0.0).run() == 1  # the next one runs
