"""The one bridge between sync and async: a background event loop thread.

All transformation state changes (construction, evaluation, in-flight latches, remote I/O) happen
on this loop, so futures are never shared across loops. Sync entry points submit their coroutine
here and wait; async entry points called from another loop await it through ``wrap_future``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


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


_loop_registry = LoopRegistry()


def get_loop_registry() -> LoopRegistry:
    """The process-wide background loop registry."""
    return _loop_registry


def run_sync(coro: Coroutine[Any, Any, T], *, what: str) -> T:
    """Run ``coro`` on the background loop and wait for it (the sync wrapper of every API)."""
    registry = get_loop_registry()
    if registry.in_loop_thread():
        coro.close()
        raise RuntimeError(
            f"Cannot block on {what} from within the running event loop; "
            "use the async form (await transformation.task() / .computation())"
        )
    future = asyncio.run_coroutine_threadsafe(coro, registry.get_loop())
    return future.result()


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on the background loop, from any loop."""
    registry = get_loop_registry()
    if registry.in_loop_thread():
        return await coro
    future = asyncio.run_coroutine_threadsafe(coro, registry.get_loop())
    return await asyncio.wrap_future(future)


def submit(coro: Awaitable[T]) -> Any:
    """Schedule ``coro`` on the background loop; return a concurrent.futures.Future."""
    return asyncio.run_coroutine_threadsafe(coro, get_loop_registry().get_loop())  # type: ignore[arg-type]
