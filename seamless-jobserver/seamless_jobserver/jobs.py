"""The jobs of one server: identical concurrent requests share one job; status and cancel.

A job is keyed by its transformation checksum. The first request starts it; every identical
request that arrives while it runs waits for the same outcome (a recompute request does not
join an ordinary job, which may answer from the cache: it waits for it, then starts its own). ``cancel`` marks a running job
canceled: its waiters get :class:`~seamless_jobserver.errors.JobCanceledError` at once and the
job's task is cancelled, which terminates the worker process running it (seamless_transformer's
worker pool replaces it with a fresh one; nothing of the job is stored). Finished statuses are
kept for the most recent jobs, so ``status`` can report "done", "failed" or "canceled".
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from seamless import Checksum

from .errors import JobCanceledError
from .execution import JobResult
from .payload import RunRequest

__all__ = ["FINISHED_HISTORY", "Job", "JobRegistry", "STATUSES"]

logger = logging.getLogger(__name__)

STATUSES = ("not-running", "running", "canceled", "failed", "done")
#: how many finished jobs keep their status
FINISHED_HISTORY = 10_000

RunFunc = Callable[[RunRequest], Coroutine[Any, Any, JobResult]]


class Job:
    """One running transformation and the outcome its requests wait for."""

    def __init__(self, request: RunRequest, task: asyncio.Task[JobResult]) -> None:
        self.request = request
        self.task = task
        self.outcome: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        self.outcome.add_done_callback(_consume_exception)
        self.waiters = 0

    @property
    def tf_checksum(self) -> str:
        """The transformation checksum (hex)."""
        return self.request.tf_checksum.hex()


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class JobRegistry:
    """Running jobs by transformation checksum, plus the status of recently finished ones.

    Lives on the server's event loop (not thread-safe, and needs no lock).
    """

    def __init__(self, run: RunFunc) -> None:
        self._run = run
        self._running: dict[str, Job] = {}
        self._finished: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._running)

    async def submit(self, request: RunRequest) -> JobResult:
        """The result of ``request``: joins a running identical job, or starts one."""
        key = request.tf_checksum.hex()
        job = self._running.get(key)
        while job is not None and request.recompute and not job.request.recompute:
            await asyncio.wait([job.outcome])
            job = self._running.get(key)
        if job is None:
            task = asyncio.get_running_loop().create_task(self._run(request))
            job = Job(request, task)
            self._running[key] = job
            task.add_done_callback(functools.partial(self._task_done, job))
        job.waiters += 1
        try:
            return await asyncio.shield(job.outcome)
        finally:
            job.waiters -= 1

    def _task_done(self, job: Job, task: asyncio.Task[JobResult]) -> None:
        if self._running.get(job.tf_checksum) is job:
            del self._running[job.tf_checksum]
        if job.outcome.done():  # canceled already
            return
        if task.cancelled():
            job.outcome.set_exception(JobCanceledError())
            self._remember(job.tf_checksum, "canceled")
            return
        exc = task.exception()
        if exc is not None:
            job.outcome.set_exception(exc)
            self._remember(job.tf_checksum, "failed")
        else:
            job.outcome.set_result(task.result())
            self._remember(job.tf_checksum, "done")

    def _remember(self, key: str, status: str) -> None:
        self._finished[key] = status
        self._finished.move_to_end(key)
        while len(self._finished) > FINISHED_HISTORY:
            self._finished.popitem(last=False)

    def status(self, tf_checksum: Checksum | str) -> str:
        """One of :data:`STATUSES`."""
        key = Checksum(tf_checksum).hex()
        if key in self._running:
            return "running"
        return self._finished.get(key, "not-running")

    def cancel(self, tf_checksum: Checksum | str) -> bool:
        """Cancel the running job of ``tf_checksum``; True if there was one."""
        key = Checksum(tf_checksum).hex()
        job = self._running.pop(key, None)
        if job is None:
            return False
        logger.info("canceling transformation %s (%d waiting)", key, job.waiters)
        if not job.outcome.done():
            job.outcome.set_exception(JobCanceledError())
        self._remember(key, "canceled")
        job.task.cancel()
        return True

    async def cancel_all(self) -> None:
        """Cancel every running job and wait for their tasks (shutdown)."""
        jobs = list(self._running.values())
        for job in jobs:
            self.cancel(job.tf_checksum)
        if jobs:
            await asyncio.gather(*(job.task for job in jobs), return_exceptions=True)
