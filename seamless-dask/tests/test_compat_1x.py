"""Seamless 1.x usage: a registered SeamlessDaskClient runs the work, with no seamless.yaml and
no ``select_execution``; an explicit ``select_execution("process")`` still wins.

Written the way 1.x code (and 1.x's own tests) does it: ``seamless.config.set_remote_clients``,
``SeamlessDaskClient(distributed.Client(...), worker_plugin_workers=..., remote_clients=...)``,
``set_seamless_dask_client``, then ``delayed(...).run()``; ``tf._dask_futures.base.key`` is
asked to ``client.who_has``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from conftest import KeyRecorder, seen_keys
from seamless.transformer import delayed, direct


@delayed
def add(a, b):
    return a + b


@delayed
def where(x):
    import os

    import distributed

    try:
        worker = distributed.get_worker().address
    except ValueError:
        worker = None
    return [x, os.getpid(), worker]


@pytest.mark.timeout(240)
def test_registered_client_runs_work_on_worker_processes(remote_clients: dict[str, Any]) -> None:
    import distributed
    import seamless.config

    from seamless_config import select
    from seamless_dask.client import SeamlessDaskClient
    from seamless_dask.transformer_client import set_seamless_dask_client

    seamless.config.set_remote_clients(remote_clients)
    assert not select.execution_was_set_explicitly()
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as dask_client,
    ):
        sd = SeamlessDaskClient(dask_client, worker_plugin_workers=2, remote_clients=remote_clients)
        set_seamless_dask_client(sd)
        try:
            assert add(2, 3).run() == 5
            tf = where(1)
            value, pid, worker = tf.run()
            assert value == 1
            assert pid != os.getpid()  # it ran in a Dask worker process
            assert worker in dask_client.scheduler_info()["workers"]
            base = tf._dask_futures.base
            assert base.key.startswith("base-")
            assert dask_client.who_has([base])[base.key] == (worker,)

            select.select_execution("process")  # an explicit choice wins
            local = where(2)
            assert local.run() == [2, os.getpid(), None]
            assert local._dask_futures is None
        finally:
            set_seamless_dask_client(None)


@pytest.mark.timeout(120)
def test_registered_dummy_client_runs_work_in_a_dask_task() -> None:
    from seamless_dask.dummy_scheduler import create_dummy_client
    from seamless_dask.transformer_client import set_seamless_dask_client

    sd = create_dummy_client(workers=1, worker_threads=4, spawn_workers=2)
    sd.client.register_plugin(KeyRecorder())
    set_seamless_dask_client(sd)
    try:
        value, pid, worker = where(3).run()
        assert value == 3 and pid == os.getpid()  # in-process workers
        assert worker in sd.client.scheduler_info()["workers"]

        @direct
        def outer(x):
            from seamless.transformer import direct

            @direct
            def inner(y):
                return y + 1

            return inner(x) * 10

        bases_before = {k for k in seen_keys(sd) if k.startswith("base-")}
        assert outer(4) == 50
        bases = {k for k in seen_keys(sd) if k.startswith("base-")} - bases_before
        # the nested transformation ran inside the Dask task, not re-submitted by the rule
        assert len(bases) == 1
    finally:
        set_seamless_dask_client(None)


@pytest.mark.timeout(120)
def test_explicit_process_selection_stays_local() -> None:
    from seamless_config import select
    from seamless_dask.dummy_scheduler import create_dummy_client
    from seamless_dask.transformer_client import set_seamless_dask_client

    select.select_execution("process")
    sd = create_dummy_client(workers=1, worker_threads=4, spawn_workers=2)
    set_seamless_dask_client(sd)
    try:
        tf = where(5)
        assert tf.run() == [5, os.getpid(), None]
        assert tf._dask_futures is None
    finally:
        set_seamless_dask_client(None)


@pytest.mark.timeout(120)
def test_connect_dask_client_registers_and_disconnects() -> None:
    """The one connector (``connect_dask`` hook) used by seamless-config and seamless-remote."""
    import distributed

    from seamless_dask.connect import connect_dask_client, disconnect_dask_client
    from seamless_dask.transformer_client import get_seamless_dask_client

    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        client = connect_dask_client(cluster.scheduler_address, workers=1, remote_clients=None)
        try:
            assert get_seamless_dask_client() is client
            assert client.seamless_workers == 1
            value, _, worker = where(7).run()
            assert value == 7 and worker in client.client.scheduler_info()["workers"]
        finally:
            disconnect_dask_client()
        assert get_seamless_dask_client() is None
