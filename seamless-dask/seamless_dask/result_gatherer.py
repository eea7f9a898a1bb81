"""Fetching the values of finished Dask futures from an event loop, in batches.

Awaiting one future at a time costs, per future, a hop into a worker thread and one gather
through the Dask client (a round trip to the scheduler). With thousands of transformations in
flight those hops queue up in the loop's executor (the part of a 10,000-transformation run that
grew fastest per transformation). A :class:`ResultGatherer` collects the futures that finished
meanwhile and fetches them with one ``gather`` call.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class ResultGatherer:
    """Batches the result fetches of one event loop through one ``distributed.Client``."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[Any, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def result(self, future: Any) -> Any:
        """The value of the Dask ``future`` (its exception is raised), once it finished."""
        waiter: asyncio.Future[Any] = self._loop.create_future()

        def finished(_: Any) -> None:  # called in the Dask client's thread
            with self._lock:
                self._ready.append((future, waiter))
                if self._flush_scheduled:
                    return
                self._flush_scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._flush)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        future.add_done_callback(finished)
        return await waiter

    def _flush(self) -> None:
        with self._lock:
            batch, self._ready = self._ready, []
            self._flush_scheduled = False
        batch = [(f, w) for f, w in batch if not w.done()]  # a canceled waiter wants nothing
        if batch:
            task = self._loop.create_task(self._deliver(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        futures = [f for f, _ in batch]
        try:
            values = await self._loop.run_in_executor(None, self._client.gather, futures)
        except (Exception, asyncio.CancelledError):  # noqa: BLE001 (each future then gets its own outcome)
            # one of them failed or was canceled: each then gets its own outcome
            for future, waiter in batch:
                value, exc = await self._fetch_one(future)
                _settle(waiter, value, exc)
            return
        for (_, waiter), value in zip(batch, values, strict=True):
            _settle(waiter, value, None)

    async def _fetch_one(self, future: Any) -> tuple[Any, BaseException | None]:
        try:
            return await self._loop.run_in_executor(None, future.result), None
        except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 (the outcome is delivered to the waiter)
            return None, exc


def _settle(waiter: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    """Deliver an outcome; a canceled Dask future cancels its waiter (as awaiting it would)."""
    if waiter.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        waiter.cancel()
    elif exc is not None:
        waiter.set_exception(exc)
    else:
        waiter.set_result(value)


__all__ = ["ResultGatherer"]
