"""Killable Dask work: base tasks run the transformation code in a Seamless worker process.

distributed cannot kill a running task thread. With ``seamless-dask.killable: true`` in the
Dask workers' configuration (the queue's ``killable: true`` in clusters.yaml; the
seamless-dask-wrapper exports it to the workers), each Dask worker process owns a pool of
Seamless worker processes (:class:`seamless_transformer.worker_pool.WorkerPool`, one per Seamless
worker of the Dask worker) and a base task runs the code of its transformation in one of them,
while the task thread resolves the inputs, waits, and stores the result:

- **cancel**: the client's ``client.cancel(...)`` releases the task; when no other client wants
  it, the Dask worker moves it to the ``cancelled`` state. The waiting task thread sees that (it
  checks every ``seamless-dask.cancel-watch-interval``), and the pool terminates the worker
  process running the code (SIGTERM to its process group, SIGKILL after 2 s) and starts a fresh
  one. The task returns at once, writing nothing: the Dask thread and the ``S`` slot are free;
- **timeout**: the transformation's timeout travels with the task; the pool stops the code in
  the same way after that many seconds of running (not counting the wait for a free Seamless
  worker) and the transformation fails with "Transformation timed out after N s".

Nested transformations started by code in a Seamless worker process run in that process.
The Dask worker process must not be a daemon (``distributed.worker.daemon: false``, which the
wrapper sets) because daemon processes may not start children.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from seamless_config.registries import register_registry

from .config import get_seconds, get_setting
from .errors import DaemonWorkerError

if TYPE_CHECKING:
    from seamless_transformer.transformation_cache import ExecutionResult
    from seamless_transformer.worker_pool import WorkerPool

__all__ = [
    "KillablePoolRegistry",
    "TaskReleased",
    "check_can_start_children",
    "execute_killable",
    "get_killable_pool_registry",
    "killable_enabled",
    "runs_killable",
]


class TaskReleased(Exception):
    """The Dask task was released (cancelled) while its code ran; the code was stopped."""


def killable_enabled() -> bool:
    """True when this process runs transformations of base tasks in Seamless worker processes
    (``seamless-dask.killable``)."""
    return bool(get_setting("killable"))


def runs_killable() -> bool:
    """Run on a Dask worker by the client (``client.run``): does this worker stop the code of
    a cancelled task?"""
    return killable_enabled()


def check_can_start_children() -> None:
    """Raise DaemonWorkerError when this process is a daemon (it could not start the pool)."""
    process = multiprocessing.current_process()
    if process.daemon:
        raise DaemonWorkerError(process_name=process.name)


class KillablePoolRegistry:
    """The process-wide pool of Seamless worker processes of a killable Dask worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: WorkerPool | None = None

    def get(self, nworkers: int | None = None) -> WorkerPool:
        """The pool, started on first use with ``nworkers`` processes (default: the Seamless
        workers of this Dask worker, ``SEAMLESS_DASK_WORKERS`` or
        ``seamless-dask.seamless-workers``)."""
        with self._lock:
            if self._pool is None:
                from seamless_transformer.worker_pool import WorkerPool

                check_can_start_children()
                if nworkers is None:
                    nworkers = int(
                        os.environ.get("SEAMLESS_DASK_WORKERS") or get_setting("seamless-workers")
                    )
                self._pool = WorkerPool(max(1, nworkers))
            return self._pool

    def started(self) -> bool:
        """True when the pool runs."""
        return self._pool is not None

    def reset(self) -> None:
        """Shut the pool down (worker plugin teardown; tests)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()


_killable_pool_registry = register_registry("seamless_dask.killable", KillablePoolRegistry())


def get_killable_pool_registry() -> KillablePoolRegistry:
    """The process-wide registry of the killable pool."""
    return _killable_pool_registry


async def execute_killable(
    tf_dict: Mapping[str, Any],
    known: Mapping[Any, Any] | None,
    *,
    is_released: Callable[[], bool],
    timeout: float | None,
) -> ExecutionResult:
    """Run ``tf_dict`` in a Seamless worker process of the pool; its ExecutionResult.

    ``is_released()`` is polled every ``seamless-dask.cancel-watch-interval`` while the code
    runs; once it says True, the worker process is terminated (and replaced) and TaskReleased
    is raised. ``timeout``: seconds the code may run (TransformationTimeoutError after).
    """
    from seamless_transformer.execute import resolve_inputs

    pool = get_killable_pool_registry().get()
    pin_buffers, leaves = await resolve_inputs(tf_dict, known)
    job = asyncio.ensure_future(pool.execute(tf_dict, pin_buffers, leaves, timeout=timeout))
    interval = get_seconds("cancel-watch-interval")
    try:
        while True:
            done, _ = await asyncio.wait({job}, timeout=interval)
            if done:
                return job.result()
            if is_released():
                job.cancel()  # the pool terminates the worker process running the code
                try:
                    await job
                except asyncio.CancelledError:
                    pass
                raise TaskReleased()
    except asyncio.CancelledError:
        job.cancel()
        raise
