"""An in-process Dask scheduler with in-process workers, for fast tests without servers.

Workers live in this process, so they share its buffer cache and configuration: Seamless
transformations run through Dask with no hashserver or database.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Scheduler, Worker

    from .client import SeamlessDaskClient


async def create_dummy_scheduler(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    workers: int = 1,
    worker_threads: int = 3,
    seamless_workers: int | None = None,
) -> tuple[Scheduler, list[Worker]]:
    """Start a Scheduler and ``workers`` in-process Workers on the running loop."""
    from distributed import Scheduler, Worker

    scheduler = await Scheduler(host=host, port=port, dashboard_address=":0", validate=False)
    resources = {"S": float(seamless_workers)} if seamless_workers else None
    started = [
        await Worker(
            scheduler.address,
            nthreads=worker_threads,
            name=f"dummy-worker-{i}",
            host=host,
            resources=resources,
            dashboard=False,
        )
        for i in range(workers)
    ]
    return scheduler, started


class DummySchedulerHandle:
    """A dummy scheduler running its own event loop in a daemon thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int = 1,
        worker_threads: int = 3,
        seamless_workers: int | None = None,
        register_at_exit: bool = True,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._scheduler: Scheduler | None = None
        self._workers: list[Worker] = []
        self._thread = threading.Thread(
            target=self._main,
            name="seamless-dummy-scheduler",
            daemon=True,
            args=(host, port, workers, worker_threads, seamless_workers),
        )
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        if register_at_exit:
            atexit.register(self.stop)

    def _main(self, host: str, port: int, workers: int, threads: int, seamless: int | None) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._scheduler, self._workers = await create_dummy_scheduler(
                host=host,
                port=port,
                workers=workers,
                worker_threads=threads,
                seamless_workers=seamless,
            )

        try:
            self._loop.run_until_complete(start())
        except BaseException as exc:  # noqa: BLE001  (reported to the constructor)
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    @property
    def address(self) -> str:
        """The scheduler address (``tcp://127.0.0.1:PORT``)."""
        if self._scheduler is None:
            raise RuntimeError("the dummy scheduler did not start (within 60 s)")
        return self._scheduler.address

    @property
    def scheduler(self) -> Scheduler | None:
        """The in-process Scheduler object (None until started)."""
        return self._scheduler

    def stop(self, timeout: float = 10.0) -> None:
        """Close workers and scheduler, stop the loop (idempotent)."""
        if not self._loop.is_running():
            return

        async def close() -> None:
            for worker in self._workers:
                await worker.close()
            if self._scheduler is not None:
                await self._scheduler.close()

        future = asyncio.run_coroutine_threadsafe(close(), self._loop)
        try:
            future.result(timeout)
        except Exception:  # noqa: BLE001  (best effort at shutdown)
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> DummySchedulerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_dummy_scheduler(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    workers: int = 1,
    worker_threads: int = 1,
    seamless_workers: int | None = None,
    register_at_exit: bool = True,
) -> DummySchedulerHandle:
    """Start a dummy scheduler in a background thread; returns its handle."""
    return DummySchedulerHandle(
        host=host,
        port=port,
        workers=workers,
        worker_threads=worker_threads,
        seamless_workers=seamless_workers,
        register_at_exit=register_at_exit,
    )


def get_dummy_scheduler_address(**kwargs: Any) -> str:
    """Start a dummy scheduler (kept until exit) and return its address."""
    return start_dummy_scheduler(**kwargs).address


def create_dummy_client(
    *, workers: int = 1, worker_threads: int = 9, spawn_workers: int = 3
) -> SeamlessDaskClient:
    """A SeamlessDaskClient on a fresh dummy scheduler (closing it stops the scheduler)."""
    import distributed

    from .client import SeamlessDaskClient

    handle = start_dummy_scheduler(
        workers=workers,
        worker_threads=worker_threads,
        seamless_workers=spawn_workers,
        register_at_exit=True,
    )
    dask_client = distributed.Client(handle.address, set_as_default=False, timeout="20s")
    client = SeamlessDaskClient(dask_client, worker_plugin_workers=spawn_workers)
    client.dummy_handle = handle
    return client


__all__ = [
    "DummySchedulerHandle",
    "create_dummy_client",
    "create_dummy_scheduler",
    "get_dummy_scheduler_address",
    "start_dummy_scheduler",
]
