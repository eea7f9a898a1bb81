"""A Dask worker process killed in the middle of a transformation: retried elsewhere, stored once.

Real worker processes (LocalCluster(processes=True)), configured by the worker plugin to use the
test's hashserver and database.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from seamless.transformer import delayed


@delayed
def crash_once(marker_dir, delay):
    import os
    import pathlib
    import time

    folder = pathlib.Path(marker_dir)
    first = folder / "first"
    if not first.exists():
        first.write_text(str(os.getpid()))
        time.sleep(120)  # killed here by the test
    time.sleep(delay)
    with open(folder / "done", "a") as f:
        f.write(f"{os.getpid()}\n")
    return 7


@pytest.mark.timeout(240)
def test_killed_worker_retried_and_stored_once(persistent: Any, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from seamless_config import select
    from seamless_dask.client import SeamlessDaskClient
    from seamless_dask.transformer_client import set_seamless_dask_client
    from seamless_transformer import persistence
    from seamless_transformer.event_loop import run_sync

    select.select_execution("remote")
    select.select_remote("daskserver")
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            resources={"S": 1},
            dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        Client(cluster, set_as_default=False) as dask_client,
    ):
        client = SeamlessDaskClient(dask_client, worker_plugin_workers=1, remote_clients=persistent)
        set_seamless_dask_client(client)
        try:
            tf = crash_once(str(tmp_path), 0.2).start()
            first = tmp_path / "first"
            deadline = time.monotonic() + 90
            while not first.exists() or not first.read_text():
                assert time.monotonic() < deadline, "the transformation never started"
                time.sleep(0.1)
            victim = int(first.read_text())
            assert victim != os.getpid()  # it runs in a worker process
            os.kill(victim, signal.SIGKILL)
            assert tf.run() == 7
            done = (tmp_path / "done").read_text().splitlines()
            assert len(done) == 1 and int(done[0]) != victim  # completed once, elsewhere
            stored = run_sync(persistence.get_transformation_result(tf.checksum), what="lookup")
            assert stored is not None and stored.hex() == tf.result_checksum.hex()
        finally:
            set_seamless_dask_client(None)
