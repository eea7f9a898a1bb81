"""One aiohttp session per event loop, shared by every client, closed on seamless.close().

seamless-core resolves checksums in short-lived event loops (a new loop per sync
`Checksum.resolve()`), and its buffer writer runs a loop in a thread of its own. A session is
bound to the loop that created it, so sessions are kept per loop. When such a loop is shut
down with `shutdown_asyncgens()` (as `asyncio.run` does), a sentinel async generator closes the
session on that loop while it still runs; sessions of loops that died without that are
released synchronously.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

import aiohttp
import seamless

from seamless_config.registries import register_registry

from .settings import get_database_max_inflight

__all__ = ["SessionRegistry", "get_session_registry"]


@dataclass
class _LoopState:
    session: aiohttp.ClientSession
    thread: threading.Thread
    closer: AsyncGenerator[None, None]
    loop: asyncio.AbstractEventLoop
    semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def loop_running(self) -> bool:
        return self.loop.is_running()


async def _close_on_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


def _release_sync(state: _LoopState) -> None:
    """Release a session whose loop cannot run any more (no await possible)."""
    connector = state.session.connector
    if connector is not None and not connector.closed:
        connector._close()  # noqa: SLF001 - the public close() needs a live loop
    state.closer = None  # type: ignore[assignment]


def _release_on_loop(loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
    """Release a session of a loop that runs in another thread, on that loop.

    Closing its transports from this thread would change the loop's selector and ready queue
    without waking it: a request in flight there would wait for a reply that its loop no longer
    reads (seamless' buffer writer then never stops, and seamless.close() waits for it).
    """
    try:
        loop.call_soon_threadsafe(_release_sync, state)
    except RuntimeError:  # the loop closed meanwhile: nothing runs on it any more
        _release_sync(state)


class SessionRegistry:
    """Maps each event loop to its aiohttp session (and per-loop semaphores)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}

    async def get_session(self) -> aiohttp.ClientSession:
        """The session of the running loop, created on first use."""
        return (await self._get_state()).session

    async def get_semaphore(self, name: str) -> asyncio.Semaphore | None:
        """A per-loop semaphore bounding database requests, or None when unbounded."""
        bound = get_database_max_inflight()
        if bound == 0:
            return None
        state = await self._get_state()
        sem = state.semaphores.get(name)
        if sem is None:
            sem = asyncio.Semaphore(bound)
            state.semaphores[name] = sem
        return sem

    async def _get_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is not None and not state.session.closed:
                return state
            self._sweep_dead_loops()
        session = aiohttp.ClientSession(auto_decompress=False)
        closer = _close_on_loop_shutdown(session)
        await closer.__anext__()
        state = _LoopState(
            session=session, thread=threading.current_thread(), closer=closer, loop=loop
        )
        with self._lock:
            self._states[loop] = state
        return state

    def _sweep_dead_loops(self) -> None:
        for loop, state in list(self._states.items()):
            if loop.is_closed():
                _release_sync(state)
                del self._states[loop]

    def close_for_thread(self, thread: threading.Thread) -> None:
        """Close the sessions created in `thread` (called by seamless' buffer writer)."""
        self._close_matching(lambda state: state.thread is thread)

    def close_idle(self) -> None:
        """Close the sessions of loops that are not running (seamless.close() hook).

        Sessions of running loops (seamless' buffer writer) stay open until its flush is done;
        seamless.close() then calls `close_all_clients()`.
        """
        self._close_matching(lambda state: not state.loop_running())

    def close_all(self, *, timeout: float = 5.0) -> None:
        """Close every session; used by seamless.close() and tests."""
        self._close_matching(lambda state: True, timeout=timeout)

    def _close_matching(
        self, predicate: Callable[[_LoopState], bool], *, timeout: float = 5.0
    ) -> None:
        with self._lock:
            chosen = [(lp, st) for lp, st in self._states.items() if predicate(st)]
            for loop, _ in chosen:
                del self._states[loop]
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, state in chosen:
            if state.session.closed:
                continue
            if loop.is_closed() or loop is current:
                _release_sync(state)
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(state.closer.aclose(), loop)
                try:
                    future.result(timeout=timeout)
                except Exception:  # noqa: BLE001 - a stuck loop must not block shutdown
                    _release_on_loop(loop, state)
            else:
                try:
                    loop.run_until_complete(state.closer.aclose())
                except Exception:  # noqa: BLE001
                    _release_sync(state)

    def reset(self) -> None:
        """Forget (and close) all sessions."""
        self.close_all()


_session_registry = register_registry("seamless_remote.session", SessionRegistry())
seamless.register_close_hook(_session_registry.close_idle)


def get_session_registry() -> SessionRegistry:
    """The process-wide session registry."""
    return _session_registry
