"""The one bridge between sync and async: a background event loop thread.

All transformation state changes (construction, evaluation, in-flight latches, remote I/O) happen
on this loop, so futures are never shared across loops. Sync entry points submit their coroutine
here and wait; async entry points called from another loop await it through ``wrap_future``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from seamless_config.registries import register_registry

T = TypeVar("T")

#: After Ctrl-C, how long a sync call waits for its coroutine to unwind on the loop (seconds).
INTERRUPT_WAIT = 10.0


class LoopRegistry:
    """Holds the background loop and its thread (created on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The running background loop, started if needed."""
        loop = self._loop
        if loop is not None and loop.is_running():
            return loop
        with self._lock:
            if self._loop is None or not self._loop.is_running():
                ready = threading.Event()
                loop = asyncio.new_event_loop()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(
                    target=main, name="seamless-transformer-loop", daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def in_loop_thread(self) -> bool:
        """True when called from the background loop's own thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def reset(self) -> None:
        """Stop the background loop (tests; a new one starts on next use)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)


_loop_registry = register_registry("seamless_transformer.event_loop", LoopRegistry())


def get_loop_registry() -> LoopRegistry:
    """The process-wide background loop registry."""
    return _loop_registry


class _Tracked(Generic[T]):
    """A coroutine submitted to the background loop, with events for "started" and "finished"."""

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self.coro = coro
        self.started = threading.Event()
        self.finished = threading.Event()

    async def run(self) -> T:
        self.started.set()
        try:
            return await self.coro
        finally:
            self.finished.set()

    def submit(self) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(self.run(), get_loop_registry().get_loop())

    def cancel_and_wait(self, future: concurrent.futures.Future[Any]) -> None:
        """Cancel, then wait until the coroutine has unwound on the loop (bounded).

        The caller was interrupted (Ctrl-C): its cleanup, such as an async generator's
        ``aclose()``, must not find the coroutine still running.
        """
        future.cancel()
        deadline = time.monotonic() + INTERRUPT_WAIT
        not_started_since = time.monotonic()
        while not self.finished.wait(0.05):
            now = time.monotonic()
            if now > deadline:
                return
            if self.started.is_set():
                not_started_since = now
            elif now - not_started_since > 0.5:  # canceled before it ever ran
                return


def run_sync(coro: Coroutine[Any, Any, T], *, what: str) -> T:
    """Run ``coro`` on the background loop and wait for it (the sync wrapper of every API).

    An exception raised in this thread while waiting (KeyboardInterrupt on Ctrl-C) cancels the
    coroutine, waits for it to unwind, and is then raised unchanged.
    """
    registry = get_loop_registry()
    if registry.in_loop_thread():
        coro.close()
        raise RuntimeError(
            f"Cannot block on {what} from within the running event loop; "
            "use the async form (await transformation.task() / .computation())"
        )
    tracked = _Tracked(coro)
    future = tracked.submit()
    try:
        return future.result()
    except BaseException:
        if not future.done():
            tracked.cancel_and_wait(future)
        raise


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on the background loop, from any loop.

    When the awaiting task is cancelled (``asyncio.run`` does that on Ctrl-C), the coroutine is
    cancelled too and has unwound before the cancellation propagates.
    """
    registry = get_loop_registry()
    if registry.in_loop_thread():
        return await coro
    tracked = _Tracked(coro)
    future = tracked.submit()
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if not tracked.finished.is_set():
            await asyncio.get_running_loop().run_in_executor(None, tracked.cancel_and_wait, future)
        raise


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule ``coro`` on the background loop; return a concurrent.futures.Future."""
    return asyncio.run_coroutine_threadsafe(coro, get_loop_registry().get_loop())
