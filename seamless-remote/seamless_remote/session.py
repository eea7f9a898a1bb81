"""One aiohttp session per event loop, shared by every client, closed on seamless.close().

seamless-core resolves checksums in short-lived event loops (a new loop per sync
`Checksum.resolve()`), and its buffer writer runs a loop in a thread of its own. A session is
bound to the loop that created it, so sessions are kept per loop. When such a loop is shut
down with `shutdown_asyncgens()` (as `asyncio.run` does), a sentinel async generator closes the
session on that loop while it still runs; sessions of loops that died without that are
released synchronously.

Shutdown (`begin_shutdown`, run by the seamless.close() hook before anything else of close()):
new requests are refused at once; requests in flight get `SHUTDOWN_GRACE` seconds to finish (so
a normal exit drops nothing); then every request still in flight on any loop is cancelled on its
own loop and ends with `ClientClosedError`, and its connections are aborted (a transport with
unsent data to a server that does not read would otherwise never finish closing). So
seamless-core's buffer writer thread, whose loop awaits our requests, always ends, and the
thread join in seamless.close() returns. What was dropped is logged. Every other wait of close
here is bounded by a timeout that logs what was still pending. A dropped buffer write never
leaves a database entry behind it: results are stored buffer first, database entry second
(`seamless_transformer.persistence.store_result`), and the database request is refused too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import seamless

from seamless_config.registries import register_registry

from .errors import ClientClosedError
from .settings import get_database_max_inflight

__all__ = ["HttpSessionRegistry", "get_http_session_registry"]

logger = logging.getLogger(__name__)

#: Seconds that seamless.close() waits for one event loop to close its session.
CLOSE_TIMEOUT = 5.0
#: Seconds that seamless.close() lets requests in flight finish before it drops them.
SHUTDOWN_GRACE = 2.0


@dataclass
class _LoopState:
    session: aiohttp.ClientSession
    thread: threading.Thread
    closer: AsyncGenerator[None, None]
    loop: asyncio.AbstractEventLoop
    semaphores: dict[str, asyncio.Semaphore | None] = field(default_factory=dict)
    #: the tasks running a request on this loop -> "METHOD url" (changed on the loop only)
    inflight: dict[asyncio.Task[object], str] = field(default_factory=dict)
    #: tasks cancelled by begin_shutdown (their CancelledError becomes ClientClosedError)
    dropped: set[asyncio.Task[object]] = field(default_factory=set)

    def loop_running(self) -> bool:
        return self.loop.is_running()

    def describe(self) -> str:
        """The loop's thread and its requests in flight, for warnings."""
        requests = ", ".join(list(self.inflight.values())) or "no request in flight"
        return f"event loop of thread {self.thread.name!r} ({requests})"


async def _close_on_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


def _release_sync(state: _LoopState) -> None:
    """Release a session whose loop cannot run any more (no await possible)."""
    connector = state.session.connector
    if connector is not None and not connector.closed:
        connector._close()  # the public close() needs a live loop
    # a released state has left the registry and is never used again; dropping the generator
    # keeps its finaliser off a loop that cannot run it (mypy: the field is not optional)
    state.closer = None  # type: ignore[assignment]


def _abort_connections(session: aiohttp.ClientSession) -> None:
    """Abort every connection of ``session`` (on its loop): nothing waits for unsent data."""
    connector = session.connector
    if connector is None or connector.closed:
        return
    # private aiohttp attributes, read defensively: the public close() waits for each
    # transport to flush, which never happens when the server stopped reading
    protocols = list(getattr(connector, "_acquired", ()))
    for conns in getattr(connector, "_conns", {}).values():
        protocols += [proto for proto, _ in conns]
    for proto in protocols:
        abort = getattr(proto, "abort", None)
        if abort is not None:
            abort()


def _drop_inflight(state: _LoopState) -> None:
    """Cancel the requests in flight on ``state.loop`` (run on that loop) and abort its
    connections; `HttpSessionRegistry.request` turns each cancellation into ClientClosedError."""
    for task in list(state.inflight):
        if not task.done():
            state.dropped.add(task)
            task.cancel(msg="seamless.close() dropped this request")
    _abort_connections(state.session)


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


class HttpSessionRegistry:
    """Maps each event loop to its aiohttp session (and per-loop semaphores)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._closing = False

    @property
    def closing(self) -> bool:
        """True once seamless.close() started (`begin_shutdown`) until `reset()`."""
        return self._closing

    async def get_session(self) -> aiohttp.ClientSession:
        """The session of the running loop, created on first use."""
        return (await self._get_state()).session

    @contextlib.asynccontextmanager
    async def request(self, description: str, *, url: str, kind: str) -> AsyncIterator[None]:
        """Run one request (``description``: "METHOD url") so that shutdown can drop it.

        Refused with ClientClosedError once shutdown started; if shutdown starts while the
        body runs, the body is cancelled and ClientClosedError raised instead.
        """
        if self._closing:
            raise ClientClosedError(url, kind=kind, request=description, in_flight=False)
        task = asyncio.current_task()
        if task is None:  # not inside a task: nothing to cancel it with
            yield
            return
        state = await self._get_state()
        state.inflight[task] = description
        try:
            yield
        except asyncio.CancelledError:
            if task not in state.dropped:
                raise
            state.dropped.discard(task)
            if task.uncancel() > 0:  # also cancelled by someone else: that one wins
                raise
            raise ClientClosedError(url, kind=kind, request=description, in_flight=True) from None
        finally:
            state.inflight.pop(task, None)
            state.dropped.discard(task)

    def begin_shutdown(self) -> list[str]:
        """seamless.close() started: drop the requests in flight everywhere, refuse new ones.

        Returns (and logs) the requests that were in flight.
        """
        with self._lock:
            self._closing = True
            states = list(self._states.values())
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        self._wait_for_inflight(states, current, SHUTDOWN_GRACE)
        dropped: list[str] = []
        for state in states:
            dropped += list(state.inflight.values())
            if state.loop.is_closed():
                continue
            if state.loop is current or not state.loop.is_running():
                _drop_inflight(state)
            else:
                try:
                    state.loop.call_soon_threadsafe(_drop_inflight, state)
                except RuntimeError:  # closed meanwhile
                    pass
        if dropped:
            logger.warning(
                "seamless.close(): dropping %d request(s) still in flight: %s",
                len(dropped),
                "; ".join(dropped),
            )
        return dropped

    @staticmethod
    def _wait_for_inflight(
        states: list[_LoopState], current: asyncio.AbstractEventLoop | None, grace: float
    ) -> None:
        """Give requests in flight on other running loops up to ``grace`` seconds to finish.

        A server that answers lets a normal exit finish its writes; one that does not is
        dropped once the grace period is over (a loop of this thread cannot progress while
        we wait, so its requests are not waited for).
        """
        others = [
            st
            for st in states
            if st.loop is not current and not st.loop.is_closed() and st.loop.is_running()
        ]
        deadline = time.monotonic() + grace
        while any(st.inflight for st in others) and time.monotonic() < deadline:
            time.sleep(0.01)

    async def get_semaphore(self, name: str) -> asyncio.Semaphore | None:
        """A per-loop semaphore bounding database requests, or None when unbounded.

        The bound is read when the loop's semaphore is made (once per loop, not per request).
        """
        state = await self._get_state()
        if name in state.semaphores:
            return state.semaphores[name]
        bound = get_database_max_inflight()
        sem = None if bound == 0 else asyncio.Semaphore(bound)
        state.semaphores[name] = sem
        return sem

    async def _get_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is not None and not state.session.closed:
                return state
            if self._closing:
                raise ClientClosedError(
                    "(any server)", kind="server", request="a new HTTP session", in_flight=False
                )
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

    def close_all(self, *, timeout: float = CLOSE_TIMEOUT) -> None:
        """Close every session; used by seamless.close() and tests."""
        self._close_matching(lambda state: True, timeout=timeout)

    def _close_matching(
        self, predicate: Callable[[_LoopState], bool], *, timeout: float = CLOSE_TIMEOUT
    ) -> None:
        """Close the chosen sessions; each wait is bounded by ``timeout`` and logged if hit."""
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
                except TimeoutError:
                    logger.warning(
                        "closing the HTTP session of the %s took over %g s; released without "
                        "waiting",
                        state.describe(),
                        timeout,
                    )
                    _release_on_loop(loop, state)
                except Exception:  # noqa: BLE001 - a stuck loop must not block shutdown
                    _release_on_loop(loop, state)
            else:
                try:
                    loop.run_until_complete(asyncio.wait_for(state.closer.aclose(), timeout))
                except TimeoutError:
                    logger.warning(
                        "closing the HTTP session of the %s took over %g s; released without "
                        "waiting",
                        state.describe(),
                        timeout,
                    )
                    _release_sync(state)
                except Exception:  # noqa: BLE001
                    _release_sync(state)

    def reset(self) -> None:
        """Forget (and close) all sessions; requests are allowed again (tests)."""
        self.close_all()
        self._closing = False

    def on_seamless_close(self) -> None:
        """The seamless.close() hook: drop and refuse requests, close idle loops' sessions."""
        self.begin_shutdown()
        self.close_idle()


_http_session_registry = register_registry("seamless_remote.session", HttpSessionRegistry())
seamless.register_close_hook(_http_session_registry.on_seamless_close)


def get_http_session_registry() -> HttpSessionRegistry:
    """The process-wide registry of aiohttp sessions (one per event loop)."""
    return _http_session_registry
