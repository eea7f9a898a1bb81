"""Execution mode ``spawn``: a pool of worker processes (multiprocessing "spawn" context).

The parent resolves every input buffer and sends the bytes with the job; the worker runs the
code and sends the result bytes back. Workers never talk to the hashserver or the database:
the parent persists results, so the write order (buffer, then database entry) holds in one
place. Transformations started *inside* a worker run in that worker's own process.
Workers re-import ``__main__``, so user scripts need an ``if __name__ == "__main__":`` guard.
The pool is shut down by ``seamless.close()`` (a registered close hook) or ``shutdown_workers``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from seamless import Buffer, Checksum

from .errors import SpawnError, TransformationError
from .transformation_cache import ExecutionResult
from .values import live_buffer


def _worker_noop() -> int:
    return os.getpid()


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
    except Exception as exc:  # pragma: no cover - defensive: never let a job kill the worker
        return "error", f"{type(exc).__name__}: {exc}"
    assert outcome.buffer is not None
    leaves_out = [leaf.content for leaf in outcome.leaf_buffers]
    return "ok", (outcome.buffer.content, leaves_out, meter.stop())


class WorkerPool:
    """A fixed number of spawned worker processes."""

    def __init__(self, nworkers: int) -> None:
        self.nworkers = nworkers
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.nworkers, mp_context=multiprocessing.get_context("spawn")
        )
        for _ in range(self.nworkers):
            executor.submit(_worker_noop)
        return executor

    async def execute(
        self,
        tf_dict: Mapping[str, Any],
        pin_buffers: Mapping[str, Buffer],
        leaf_buffers: Mapping[Checksum, Buffer],
    ) -> ExecutionResult:
        """Run one transformation in a worker (one retry on a fresh pool if a worker died)."""
        payload = (
            dict(tf_dict),
            {pin: b.content for pin, b in pin_buffers.items()},
            {cs.hex(): b.content for cs, b in leaf_buffers.items()},
        )
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            executor = self._executor
            try:
                kind, data = await loop.run_in_executor(executor, _worker_execute, *payload)
                break
            except BrokenProcessPool:
                if attempt == 1:
                    raise TransformationError(
                        "A spawned worker process died while running the transformation "
                        "(twice); it may have crashed or run out of memory"
                    ) from None
                if self._executor is executor:
                    self._executor = self._new_executor()
        if kind == "error":
            raise TransformationError(data)
        result_bytes, leaf_list, runtime = data
        buffer = live_buffer(result_bytes)
        leaves = [live_buffer(content) for content in leaf_list]
        return ExecutionResult(buffer.get_checksum(), buffer, leaves, runtime)

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return sorted(p.pid for p in (self._executor._processes or {}).values() if p.pid)

    def shutdown(self) -> None:
        """Stop the workers (queued jobs are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


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
            print(
                "seamless_transformer.spawn() called outside MainProcess; ignoring",
                file=sys.stderr,
            )
            return None
        if nworkers is None:
            nworkers = os.cpu_count() or 1
        if not isinstance(nworkers, int) or nworkers < 1:
            raise SpawnError(
                f"spawn(): the number of workers must be a positive int, not {nworkers!r}"
            )
        with self._lock:
            if self._pool is not None:
                raise SpawnError(
                    f"Workers have already been spawned ({self._pool.nworkers}); call "
                    "spawn() only once per process (shutdown_workers() first to change it)"
                )
            self._pool = WorkerPool(nworkers)
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


_worker_pool_registry = WorkerPoolRegistry()


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
