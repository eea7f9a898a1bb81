"""Running one job: cache lookups, execution in the worker pool, storage, execution record.

Order for a transformation checksum (on seamless_transformer's event loop, through its
transformation cache): the in-memory cache, the database, an identical job in flight, then
execution: the inputs are resolved from the hashserver, the code runs in a spawned worker
process (seamless_transformer's worker pool), the result buffer is written to the hashserver
and then the result to the database; last, a minimal execution record (best-effort).
A canceled job (``POST /cancel-transformation``) terminates the worker process running it; a
job whose ``__meta__`` has a ``timeout`` (seconds) is canceled the same way after it and fails
with "Transformation timed out after N s". Nothing of either is stored.
An answer for a non-scratch job is only given once its result buffer is retrievable: a
database hit whose buffer is gone is recomputed. A recompute request (the client could not read
the known result's buffer: gone, or corrupt) skips every lookup: the result buffer this process
still holds from its own execution is written again, else the job is executed again; either
way the write replaces the stored copy where the hashserver's directory is reachable (the
local fast path; over HTTP the hashserver keeps an existing file), then the database entry is
written again (seamless-database replaces the result of an existing entry).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from seamless import Checksum
from seamless.checksum.calculate_checksum import TRIVIAL_CHECKSUMS

from seamless_remote import buffer_remote
from seamless_transformer import persistence
from seamless_transformer.cancel import validate_timeout
from seamless_transformer.errors import TransformationError
from seamless_transformer.event_loop import run_async
from seamless_transformer.execute import resolve_inputs
from seamless_transformer.transformation_cache import (
    ExecuteFunc,
    ExecutionResult,
    get_transformation_cache,
)
from seamless_transformer.transformation_dict import is_dunder
from seamless_transformer.worker_pool import WorkerPool

from .payload import RunRequest

__all__ = ["JobResult", "JobRunner", "REMOTE_TARGET"]

logger = logging.getLogger(__name__)

#: ``remote_target`` of the execution records this server writes
REMOTE_TARGET = "jobserver"
#: the transformation cache's in-flight latch for jobserver work
_LATCH = "jobserver"


@dataclasses.dataclass
class JobResult:
    """The answer of a finished job."""

    result_checksum: Checksum
    record_runtime: dict[str, Any]
    #: the result buffer was written to the hashserver by this job
    stored: bool


def _execution_dict(request: RunRequest) -> dict[str, Any]:
    """The dict the worker runs: the transformation dict plus the envelope's dunders."""
    tf_dict = dict(request.transformation_dict)
    for key, value in request.tf_dunder.items():
        if is_dunder(key):
            tf_dict.setdefault(key, value)
    return tf_dict


class JobRunner:
    """Runs jobs in ``pool`` and stores their results through seamless_remote."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    async def run(self, request: RunRequest) -> JobResult:
        """Compute (or find) the result of ``request``; raises TransformationError and co."""
        return await run_async(self._run(request))

    async def ensure_retrievable(self, request: RunRequest, result: JobResult) -> JobResult:
        """Make the result buffer retrievable (a scratch job was joined by a non-scratch one)."""
        if result.stored or request.scratch:
            return result
        return await run_async(self._ensure(request, result))

    async def _run(self, request: RunRequest) -> JobResult:
        tf = request.tf_checksum
        cache = get_transformation_cache()
        cache.register_transformation(tf, dict(request.transformation_dict))
        if request.recompute:
            return await self._recompute(request)
        result, runtime = await self._evaluate(request, lookup_database=True)
        if runtime is None:  # a cache hit: check before answering
            return await self._ensure(request, JobResult(result, {}, stored=False))
        await self._write_record(tf, result, runtime)
        return JobResult(result, runtime, stored=not request.scratch)

    async def _evaluate(
        self, request: RunRequest, *, lookup_database: bool
    ) -> tuple[Checksum, dict[str, Any] | None]:
        """The result, and the runtime of the execution (None when nothing was executed)."""
        measured: dict[str, Any] = {}
        result = await get_transformation_cache().evaluate(
            request.tf_checksum,
            self._execute_func(request, measured),
            scratch=request.scratch,
            lookup_database=lookup_database,
            persist=True,
            latch=_LATCH,
        )
        return result, measured.get("runtime")

    def _execute_func(self, request: RunRequest, measured: dict[str, Any]) -> ExecuteFunc:
        tf_dict = _execution_dict(request)

        async def execute() -> ExecutionResult:
            pin_buffers, leaves = await resolve_inputs(tf_dict)
            outcome = await self.pool.execute(
                tf_dict, pin_buffers, leaves, timeout=_timeout_of(tf_dict)
            )
            measured["runtime"] = dict(outcome.runtime or {})
            return outcome

        return execute

    async def _recompute(self, request: RunRequest) -> JobResult:
        """No lookup: rewrite the buffer held from this process's own execution, or execute."""
        tf = request.tf_checksum
        cache = get_transformation_cache()
        known = cache.get_result(tf)
        if known is not None and not request.scratch:
            held = cache.get_result_buffer(known)
            if held is not None:
                logger.warning(
                    "transformation %s: the client cannot read result %s; writing it again "
                    "from this jobserver's memory",
                    tf.hex(),
                    known.hex(),
                )
                await persistence.store_result(tf, known, held, scratch=False)
                return JobResult(known, {}, stored=True)
        logger.warning(
            "transformation %s: the client cannot read its result; recomputing it", tf.hex()
        )
        return await self._execute_again(request)

    async def _execute_again(self, request: RunRequest) -> JobResult:
        """Execute without any lookup and store (the buffer write replaces a stored copy)."""
        tf = request.tf_checksum
        get_transformation_cache().forget(tf)
        result, executed = await self._evaluate(request, lookup_database=False)
        runtime = executed or {}
        if runtime:
            await self._write_record(tf, result, runtime)
        return JobResult(result, runtime, stored=not request.scratch)

    async def _ensure(self, request: RunRequest, result: JobResult) -> JobResult:
        if request.scratch:
            return result
        checksum = result.result_checksum
        if await _is_retrievable(checksum):
            return result
        held = get_transformation_cache().get_result_buffer(checksum)
        if held is not None:
            await persistence.write_buffer(checksum, held)
            return dataclasses.replace(result, stored=True)
        logger.warning(
            "result %s of transformation %s is in the database but its buffer is gone: recomputing",
            checksum.hex(),
            request.tf_checksum.hex(),
        )
        return await self._execute_again(request)

    @staticmethod
    async def _write_record(tf: Checksum, result: Checksum, runtime: dict[str, Any]) -> None:
        await persistence.write_execution_record(
            tf, result, remote_target=REMOTE_TARGET, runtime=runtime
        )


def _timeout_of(tf_dict: dict[str, Any]) -> float | None:
    """The job's timeout: ``__meta__["timeout"]`` (seconds), or None."""
    meta = tf_dict.get("__meta__")
    if not isinstance(meta, dict):
        return None
    try:
        return validate_timeout(meta.get("timeout"), where='__meta__["timeout"]')
    except TransformationError as exc:
        logger.warning("%s; running without a timeout", exc)
        return None


async def _is_retrievable(checksum: Checksum) -> bool:
    if checksum.hex() in TRIVIAL_CHECKSUMS:
        return True
    if not buffer_remote.has_read_server():
        raise TransformationError(
            f"Result {checksum.hex()} cannot be made retrievable: the jobserver has no "
            "hashserver (the 'buffer' entries of its status-file parameters are empty)"
        )
    (length,) = await buffer_remote.get_buffer_lengths([checksum])
    return length is not None
