"""Execution mode ``spawn``: a pool of worker processes (multiprocessing "spawn" context).

The parent resolves every input buffer and sends the bytes with the job; the worker runs the
code and sends the result bytes back. Workers never talk to the hashserver or the database:
the parent persists results, so the write order (buffer, then database entry) holds in one
place. Transformations started *inside* a worker run in that worker's own process.
Workers re-import ``__main__``, so user scripts need an ``if __name__ == "__main__":`` guard.
The pool is shut down by ``seamless.close()`` (a registered close hook) or ``shutdown_workers``.

The pool owns its worker processes one by one (each has its own pipe and runs one job at a
time), so that one worker can be stopped without touching the others:

- **cancel**: when the coroutine awaiting a job is cancelled (``Transformation.cancel()``, a
  timeout, the jobserver's ``/cancel-transformation``), the worker running it is terminated
  (SIGTERM, then SIGKILL after :data:`TERMINATE_GRACE` s) and replaced by a fresh one; nothing
  of the job comes back, so nothing is stored;
- **timeout**: ``execute(..., timeout=N)`` does the same after N s and raises
  :class:`~seamless_transformer.errors.TransformationTimeoutError` ("... timed out after N s");
- **crash**: a worker that dies by itself (crash, out of memory) is replaced and the job is
  retried once on another worker.

Workers are not daemon processes, so transformer code may start multiprocessing children of its
own. Each worker leads its own process group: terminating a worker signals the whole group
(SIGTERM, then SIGKILL), so children of the code (a bash transformer's commands, multiprocessing
children) end with it, and Ctrl-C in a terminal reaches only the parent (which shuts the pool
down). A watchdog thread in each worker kills its group when the parent process ends, also when
the parent is killed (SIGKILL) and cannot shut the pool down; at a normal exit the pool is shut
down by a multiprocessing finalizer, before multiprocessing joins the remaining children.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import threading
import weakref
from collections import deque
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from types import FrameType
from typing import Any

from seamless import Buffer, Checksum

from seamless_config.registries import register_registry

from .errors import SpawnError, TransformationError, TransformationTimeoutError
from .transformation_cache import ExecutionResult
from .values import live_buffer

logger = logging.getLogger(__name__)

#: seconds a terminated worker gets to exit after SIGTERM before it is killed (SIGKILL)
TERMINATE_GRACE = 2.0
#: seconds between two checks of the parent watchdog that do not rely on the parent's sentinel
WATCHDOG_INTERVAL = 1.0


def _worker_execute(
    tf_dict: dict[str, Any], pin_bytes: dict[str, bytes], leaf_bytes: dict[str, bytes]
) -> tuple[str, Any]:
    """Runs in a worker process: ("ok", (result, leaves, runtime)) or ("error", text)."""
    from .execute import execute_dict
    from .runtime import RuntimeMeter

    meter = RuntimeMeter()
    try:
        pin_buffers = {pin: Buffer(content) for pin, content in pin_bytes.items()}
        leaves = {Checksum(cs): Buffer(content) for cs, content in leaf_bytes.items()}
        outcome = execute_dict(tf_dict, pin_buffers, leaves)
    except TransformationError as exc:
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 (a job's error must not kill the worker: returned as text)
        return "error", f"{type(exc).__name__}: {exc}"
    assert outcome.buffer is not None
    leaves_out = [leaf.content for leaf in outcome.leaf_buffers]
    return "ok", (outcome.buffer.content, leaves_out, meter.stop())


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # an exception, so that a running bash job's subprocess.run kills its child on the way out
    raise SystemExit(128 + signum)


def _lead_own_process_group() -> None:
    """Make this worker the leader of a new process group (POSIX), so that the parent can
    signal the worker together with every child its code starts."""
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:  # pragma: no cover - e.g. already a session leader
            logger.debug("worker %s could not start its own process group", os.getpid())


def _kill_own_group() -> None:
    """Kill this worker and (when it leads its process group) everything in its group."""
    pid = os.getpid()
    if hasattr(os, "killpg") and os.getpgrp() == pid:
        os.killpg(pid, signal.SIGKILL)
    os._exit(1)


def _watch_parent() -> None:
    """Watchdog thread body: kill this worker's group once the parent process has ended.

    Waits on the parent's sentinel (ready when the parent ends, however it ends), and also
    checks the parent pid, in case a forked process keeps the sentinel open."""
    parent = multiprocessing.parent_process()
    parent_pid = os.getppid()
    sentinel = None if parent is None else parent.sentinel
    while True:
        if sentinel is not None:
            if multiprocessing.connection.wait([sentinel], timeout=WATCHDOG_INTERVAL):
                break
        else:
            threading.Event().wait(WATCHDOG_INTERVAL)
        if os.getppid() != parent_pid:
            break
    # SIGTERM first (SystemExit in the main thread: a running bash job kills its own session),
    # then SIGKILL to the whole group
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(TERMINATE_GRACE)
    _kill_own_group()


def _start_parent_watchdog() -> None:
    threading.Thread(target=_watch_parent, name="seamless-parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection) -> None:
    """A worker process: run the jobs that arrive on ``conn`` until None or end of pipe."""
    _lead_own_process_group()
    _start_parent_watchdog()
    signal.signal(signal.SIGTERM, _on_sigterm)
    from . import execute, python_executor, runtime  # noqa: F401  (warm up before a job)

    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        conn.send(_worker_execute(*message))


class _WorkerDied(Exception):
    """The worker process ended while it ran a job."""


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: SpawnContext) -> None:
        parent, child = context.Pipe(duplex=True)
        # not a daemon: transformer code may start multiprocessing children (the watchdog in
        # the worker and the pool's exit finalizer end it instead)
        self.process = context.Process(
            target=_worker_main, args=(child,), name="seamless-worker", daemon=False
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.pid: int | None = self.process.pid
        self.stopped = False
        self.ready = False

    def alive(self) -> bool:
        return not self.stopped and self.process.is_alive()

    def wait_ready(self) -> None:
        """Wait until the process has started and imported what jobs need (blocking)."""
        if self.ready:
            return
        try:
            hello = self.conn.recv()
        except (EOFError, OSError, ValueError) as exc:
            raise _WorkerDied(str(exc)) from None
        assert hello == "ready", hello
        self.ready = True

    def run(self, message: tuple[Any, ...]) -> tuple[str, Any]:
        """Send a job and wait for its answer (blocking; called in a thread)."""
        try:
            self.conn.send(message)
            return self.conn.recv()
        except (EOFError, OSError, ValueError) as exc:
            raise _WorkerDied(str(exc)) from None

    def stop(self, *, terminate: bool) -> None:
        """End the process: ask it to (idle), or SIGTERM then SIGKILL (busy). Blocking."""
        if self.stopped:
            return
        self.stopped = True
        if not terminate:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            else:
                self.process.join(TERMINATE_GRACE)
            if not self.process.is_alive():
                self.conn.close()
                return
        # the worker leads its process group: its code's children get the signals too
        self._signal_group(signal.SIGTERM)
        self.process.join(TERMINATE_GRACE)
        self._signal_group(signal.SIGKILL)  # the worker if still alive, and any straggler
        self.process.join(TERMINATE_GRACE)
        self.conn.close()

    def _signal_group(self, signum: int) -> None:
        """Send ``signum`` to the worker's process group (the worker alone while it has not
        made its own group yet). The group id is the worker's pid, which no other process can
        take while the group exists."""
        pid = self.pid
        if pid is None:
            return
        if hasattr(os, "killpg"):
            try:
                os.killpg(pid, signum)
                return
            except ProcessLookupError:
                pass  # no such group (yet): signal the process itself
            except PermissionError:  # pragma: no cover - defensive
                pass
        if self.process.is_alive():
            if signum == signal.SIGTERM:
                self.process.terminate()
            else:
                self.process.kill()


class WorkerPool:
    """A fixed number of spawned worker processes, each running one job at a time."""

    def __init__(self, nworkers: int) -> None:
        self.nworkers = nworkers
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._closed = False
        self._workers: set[_Worker] = set()
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]] = deque()
        self._replacing: list[threading.Thread] = []
        # at exit, before multiprocessing joins the (non-daemon) workers: shut the pool down
        self._finalizer = multiprocessing.util.Finalize(
            None, _shutdown_at_exit, args=(weakref.ref(self),), exitpriority=10
        )
        for _ in range(nworkers):
            worker = _Worker(self._context)
            self._workers.add(worker)
            self._idle.append(worker)

    # ------------------------------------------------------------------ slots
    async def _acquire(self) -> _Worker:
        loop = asyncio.get_running_loop()
        with self._lock:
            self._check_open()
            if self._idle:
                return self._idle.popleft()
            future: asyncio.Future[_Worker] = loop.create_future()
            waiter = (loop, future)
            self._waiters.append(waiter)
        try:
            return await future
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if future.done() and not future.cancelled() and future.exception() is None:
                self._release(future.result())  # handed over just as we were cancelled
            raise

    def _check_open(self) -> None:
        if self._closed:
            raise TransformationError("The worker pool was shut down (shutdown_workers())")

    def _release(self, worker: _Worker) -> None:
        """Give a free worker to the longest waiting job, or put it back."""
        while True:
            with self._lock:
                if self._closed or worker not in self._workers:
                    return
                if not self._waiters:
                    self._idle.append(worker)
                    return
                loop, future = self._waiters.popleft()
            try:
                loop.call_soon_threadsafe(self._hand_over, future, worker)
                return
            except RuntimeError:  # that waiter's loop is closed: try the next one
                continue

    def _hand_over(self, future: asyncio.Future[_Worker], worker: _Worker) -> None:
        if future.done():
            self._release(worker)
        else:
            future.set_result(worker)

    def _replace(self, worker: _Worker) -> None:
        """Terminate ``worker`` (in a thread, so the event loop is not held up) and put a
        fresh worker in its slot."""

        def replace() -> None:
            try:
                worker.stop(terminate=True)
            except Exception:  # pragma: no cover - best effort
                logger.exception("could not stop worker process %s", worker.pid)
            with self._lock:
                self._workers.discard(worker)
                if self._closed:
                    return
            try:
                fresh = _Worker(self._context)
            except Exception:  # pragma: no cover - e.g. out of processes
                logger.exception("could not start a replacement worker process")
                return
            with self._lock:
                closed = self._closed
                if not closed:
                    self._workers.add(fresh)
            if closed:
                fresh.stop(terminate=False)
                return
            self._release(fresh)

        with self._lock:
            self._replacing = [t for t in self._replacing if t.is_alive()]
            thread = threading.Thread(target=replace, name="seamless-worker-replace", daemon=True)
            self._replacing.append(thread)
        thread.start()

    # ------------------------------------------------------------------ jobs
    async def execute(
        self,
        tf_dict: Mapping[str, Any],
        pin_buffers: Mapping[str, Buffer],
        leaf_buffers: Mapping[Checksum, Buffer],
        *,
        timeout: float | None = None,
    ) -> ExecutionResult:
        """Run one transformation in a worker.

        Cancelling the caller terminates and replaces the worker running it; ``timeout``
        (seconds the code may run in the worker, not counting the wait for a free worker;
        None: no limit) does the same and raises TransformationTimeoutError. A worker
        that dies by itself is replaced and the job retried once on another worker.
        """
        from .execute import run_in_thread

        message = (
            dict(tf_dict),
            {pin: b.content for pin, b in pin_buffers.items()},
            {cs.hex(): b.content for cs, b in leaf_buffers.items()},
        )
        for attempt in range(2):
            worker = await self._acquire()
            try:
                if not worker.ready:  # a fresh worker still starting: not part of the timeout
                    await run_in_thread(worker.wait_ready)
                kind, data = await asyncio.wait_for(run_in_thread(worker.run, message), timeout)
            except _WorkerDied:
                self._replace(worker)
                self._check_open()
                if attempt == 1:
                    raise TransformationError(
                        "A spawned worker process died while running the transformation "
                        "(twice); it may have crashed or run out of memory"
                    ) from None
                continue
            except TimeoutError:
                logger.info("transformation timed out: terminating worker %s", worker.pid)
                self._replace(worker)
                assert timeout is not None
                raise TransformationTimeoutError(timeout) from None
            except BaseException:  # cancelled: stop the work
                logger.info("transformation cancelled: terminating worker %s", worker.pid)
                self._replace(worker)
                raise
            self._release(worker)
            break
        if kind == "error":
            raise TransformationError(data)
        result_bytes, leaf_list, runtime = data
        buffer = live_buffer(result_bytes)
        leaves = [live_buffer(content) for content in leaf_list]
        return ExecutionResult(buffer.get_checksum(), buffer, leaves, runtime)

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            workers = list(self._workers)
        return sorted(w.pid for w in workers if w.pid and w.alive())

    def shutdown(self) -> None:
        """Stop the workers: idle ones are asked to exit, busy ones are terminated; jobs
        waiting for a worker fail."""
        self._finalizer.cancel()
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            idle = set(self._idle)
            self._workers.clear()
            self._idle.clear()
            waiters = list(self._waiters)
            self._waiters.clear()
            replacing = list(self._replacing)
        error = TransformationError("The worker pool was shut down (shutdown_workers())")
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_fail, future, error)
            except RuntimeError:
                pass
        for worker in workers:
            worker.stop(terminate=worker not in idle)
        for thread in replacing:
            thread.join(3 * TERMINATE_GRACE + 5)


def _shutdown_at_exit(pool_ref: weakref.ref[WorkerPool]) -> None:
    pool = pool_ref()
    if pool is not None:
        pool.shutdown()


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class WorkerPoolRegistry:
    """Holds the process-wide pool."""

    def __init__(self) -> None:
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()
        self._hook_registered = False

    def get(self) -> WorkerPool | None:
        """The pool, or None when spawn() was not called."""
        return self._pool

    def spawn(self, nworkers: int | None = None) -> WorkerPool | None:
        """Start the pool; ignored (with a warning) outside the main process."""
        if multiprocessing.current_process().name != "MainProcess":
            logger.warning(
                "seamless_transformer.spawn() called outside the main process (%s); ignored",
                multiprocessing.current_process().name,
            )
            return None
        # callers may pass anything at run time: checked as an object
        count: object = (os.cpu_count() or 1) if nworkers is None else nworkers
        if not isinstance(count, int) or count < 1:
            raise SpawnError(
                f"spawn(): the number of workers must be a positive int, not {count!r}"
            )
        with self._lock:
            if self._pool is not None:
                raise SpawnError(
                    f"Workers have already been spawned ({self._pool.nworkers}); call "
                    "spawn() only once per process (shutdown_workers() first to change it)"
                )
            self._pool = WorkerPool(count)
            if not self._hook_registered:
                import seamless

                seamless.register_close_hook(self.reset)
                self._hook_registered = True
            return self._pool

    def reset(self) -> None:
        """Shut the pool down (close hook; tests)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()


_worker_pool_registry = register_registry("seamless_transformer.worker_pool", WorkerPoolRegistry())


def get_worker_pool_registry() -> WorkerPoolRegistry:
    """The process-wide worker pool registry."""
    return _worker_pool_registry


def spawn(num_workers: int | None = None) -> None:
    """Start ``num_workers`` worker processes (default: the number of CPUs)."""
    get_worker_pool_registry().spawn(num_workers)


def has_spawned() -> bool:
    """True when a worker pool is running in this process."""
    return get_worker_pool_registry().get() is not None


def shutdown_workers() -> None:
    """Stop the worker pool (seamless.close() does this too)."""
    get_worker_pool_registry().reset()
