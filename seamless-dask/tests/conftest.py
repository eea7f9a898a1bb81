"""Fixtures for seamless_dask: persistent mode, a SeamlessDaskClient on a dummy scheduler.

The real-server fixtures and the reset of every registry (around each test) come from the
installed harness (the seamless-testing pytest plugin, common/testing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from distributed.diagnostics.plugin import SchedulerPlugin


@pytest.fixture
def persistent(remote_clients: dict[str, Any]) -> dict[str, Any]:
    """This process uses the test's real hashserver and database (persistent mode)."""
    import seamless_config

    seamless_config.set_remote_clients(remote_clients)
    return remote_clients


@pytest.fixture
def dask_remote() -> Iterator[Any]:
    """Execution 'remote' routed to a SeamlessDaskClient on an in-process dummy scheduler
    (1 Dask worker, 6 threads, 2 Seamless workers)."""
    from seamless_config import select
    from seamless_dask.dummy_scheduler import create_dummy_client
    from seamless_dask.transformer_client import set_seamless_dask_client

    select.select_execution("remote")
    select.select_remote("daskserver")
    client = create_dummy_client(workers=1, worker_threads=6, spawn_workers=2)
    client.client.register_plugin(KeyRecorder())
    set_seamless_dask_client(client)
    yield client
    set_seamless_dask_client(None)


class KeyRecorder(SchedulerPlugin):
    """Records every task key the scheduler has seen (tasks are forgotten once released)."""

    name = "test-key-recorder"

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.priorities: dict[str, Any] = {}
        self.scheduler: Any = None

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        self.keys.add(str(key))
        ts = self.scheduler.tasks.get(key) if self.scheduler is not None else None
        if ts is not None and ts.priority is not None:
            self.priorities[str(key)] = ts.priority[0]  # -(user priority): lower runs first


def seen_keys(client: Any) -> set[str]:
    """Every task key the scheduler has seen since the fixture started."""
    return set(
        client.client.run_on_scheduler(
            lambda dask_scheduler: sorted(dask_scheduler.plugins["test-key-recorder"].keys)
        )
    )


def seen_priorities(client: Any) -> dict[str, Any]:
    """Key -> first element of the scheduler priority tuple (-user priority)."""
    return dict(
        client.client.run_on_scheduler(
            lambda dask_scheduler: dict(dask_scheduler.plugins["test-key-recorder"].priorities)
        )
    )


def scheduler_keys(client: Any) -> list[str]:
    """Every task key the scheduler currently knows."""
    return sorted(client.client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks)))
