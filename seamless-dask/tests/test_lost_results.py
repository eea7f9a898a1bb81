"""A result whose stored buffer is lost or corrupt is recomputed on Dask (DESIGN.md, point 14).

Real hashserver and seamless-database, a real LocalCluster with worker processes (configured by
the worker plugin, with the hashserver's directory: the local fast path), and every read in a
NEW client process (seamless_testing.lost_results), so that the result checksum comes from the
database and the buffer from the hashserver. The worker processes live across the clients, as
a daskserver's do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from seamless_testing.lost_results import (
    corrupt,
    executions,
    run_client,
    stored_file,
    stored_file_holding,
)
from seamless_testing.servers import ServerHandle, remote_clients_dict

pytestmark = pytest.mark.timeout(400)


@contextmanager
def _cluster(clients: dict[str, Any]) -> Iterator[str]:
    """A LocalCluster (one worker process, S=1) whose workers use ``clients``, and this process
    routed to it (a long-lived client, like a notebook); yields the clients' backend string."""
    from distributed import Client, LocalCluster

    import seamless_config
    from seamless_config import select
    from seamless_dask.client import SeamlessDaskClient
    from seamless_dask.transformer_client import set_seamless_dask_client

    seamless_config.set_remote_clients(clients)
    select.select_execution("remote")
    select.select_remote("daskserver")
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=3,
            processes=True,
            resources={"S": 1},
            dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        Client(cluster, set_as_default=False) as dask_client,
    ):
        client = SeamlessDaskClient(dask_client, worker_plugin_workers=1, remote_clients=clients)
        set_seamless_dask_client(client)
        try:
            yield f"dask={cluster.scheduler_address}"
        finally:
            set_seamless_dask_client(None)
            client.close(close_client=False)


def test_removed_then_corrupt_result_buffer_is_recomputed_on_dask(
    tmp_path: Path, hashserver: ServerHandle, database: ServerHandle
) -> None:
    from seamless.transformer import delayed
    from seamless_testing.lost_results import power

    clients = remote_clients_dict(hashserver, database, directory=True)
    marker = tmp_path / "executions.txt"
    with _cluster(clients) as backend:
        # computed by a client that keeps its transformation (and so its Dask task) alive
        held = delayed(power)(3, 4, str(marker))
        assert held.run() == 81 and executions(marker) == ["power"]
        result = held.result_checksum.hex()
        stored_file(hashserver.directory, result).unlink()

        second = run_client(backend, "single", marker, clients)
        assert second.upstream == result
        assert second.value == 81 and executions(marker) == ["power"] * 2
        assert "cannot be read" in second.log and "recomputing" in second.log
        assert result in second.log
        assert stored_file(hashserver.directory, result).read_bytes() == b"81\n"

        # a plausible but wrong value (read-only, as the hashserver stores it): never returned
        corrupt(stored_file(hashserver.directory, result), b"82\n")
        third = run_client(backend, "single", marker, clients)
        assert third.value == 81 and executions(marker) == ["power"] * 3
        assert "corrupt" in third.log and "recomputing" in third.log
        repaired = stored_file(hashserver.directory, result)
        assert repaired.read_bytes() == b"81\n"  # the worker's write replaced the corrupt file

        fourth = run_client(backend, "single", marker, clients)
        assert fourth.value == 81 and executions(marker) == ["power"] * 3
        assert "recomputing" not in fourth.log
        del held


def test_lost_upstream_result_is_recomputed_on_dask(
    tmp_path: Path, hashserver: ServerHandle, database: ServerHandle
) -> None:
    """The upstream result is an input of the downstream one (Dask's dependency path)."""
    clients = remote_clients_dict(hashserver, database, directory=True)
    marker = tmp_path / "executions.txt"
    with _cluster(clients) as backend:
        first = run_client(backend, "chain", marker, clients)
        assert first.value == 82 and sorted(executions(marker)) == ["plus_one", "power"]
        upstream = stored_file(hashserver.directory, first.upstream)
        corrupt(upstream, b"80\n")
        # the downstream result is cached: nothing to do
        second = run_client(backend, "chain", marker, clients)
        assert second.value == 82 and len(executions(marker)) == 2
        # with the downstream buffer lost too, the downstream needs the upstream buffer
        stored_file_holding(hashserver.directory, b"82\n").unlink()
        third = run_client(backend, "chain", marker, clients)
        assert third.value == 82
        assert sorted(executions(marker)) == ["plus_one"] * 2 + ["power"] * 2
        assert third.log.count("recomputing") == 2, third.log
        assert stored_file(hashserver.directory, first.upstream).read_bytes() == b"81\n"
