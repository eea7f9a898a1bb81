"""The in-process transformation cache and the evaluation routine.

Lookup order for a transformation checksum (``evaluate``):
1. the in-memory cache (tf checksum -> result checksum);
2. the database (persistent mode);
3. joining an identical transformation already in flight in this process;
4. with SEAMLESS_CACHE: waiting for another process that is computing it (compute_lock.py),
   then the database again;
5. execution (the caller supplies how), then the result is stored: in persistent mode buffer
   first, then the database entry; always in memory.

Also the two hooks seamless-core's ``Checksum.fingertip()`` looks for:
``get_transformation_cache().get_reverse_transformations(result)`` and
``recompute_from_transformation_checksum(tf_hex, scratch=..., require_value=...)``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from seamless import Buffer, Checksum

from seamless_config.registries import register_registry

from . import persistence
from .compute_lock import transformation_lock

DEFAULT_MAX_BUFFER_BYTES = 512 * 1024**2


@dataclass
class ExecutionResult:
    """What an execution produced: the result checksum, its buffer (None when the work ran
    elsewhere and stored it there), leaf buffers of deep results (written before it), and
    the measured ``record_runtime`` (see :mod:`.runtime`) when the executor measured it."""

    checksum: Checksum
    buffer: Buffer | None = None
    leaf_buffers: list[Buffer] = field(default_factory=list)
    runtime: dict[str, Any] | None = None


ExecuteFunc = Callable[[], Awaitable[ExecutionResult]]


class TransformationCache:
    """tf checksum -> result checksum (with reverse map), recent result buffers, in-flight work."""

    def __init__(self, *, max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES) -> None:
        self.max_buffer_bytes = max_buffer_bytes
        self.reset()

    def reset(self) -> None:
        """Forget everything (tests)."""
        self._results: dict[Checksum, Checksum] = {}
        self._reverse: dict[Checksum, list[Checksum]] = {}
        self._buffers: OrderedDict[Checksum, Buffer] = OrderedDict()
        self._buffer_bytes = 0
        self._tf_dicts: dict[Checksum, dict[str, Any]] = {}
        self._inflight: dict[tuple[Checksum, str], asyncio.Future[Checksum]] = {}
        self.stats = {"memory_hits": 0, "database_hits": 0, "joined": 0, "executed": 0}

    def get_result(self, tf_checksum: Checksum) -> Checksum | None:
        """The cached result checksum, or None."""
        return self._results.get(tf_checksum)

    def get_reverse_transformations(self, result: Checksum | str) -> list[Checksum]:
        """The transformation checksums known to have produced ``result``."""
        return list(self._reverse.get(Checksum(result), []))

    def get_result_buffer(self, result: Checksum) -> Buffer | None:
        """A recently produced result buffer, if still held."""
        buffer = self._buffers.get(result)
        if buffer is not None:
            self._buffers.move_to_end(result)
        return buffer

    def get_transformation_dict(self, tf_checksum: Checksum) -> dict[str, Any] | None:
        """The dict of a transformation seen in this process, if known."""
        return self._tf_dicts.get(tf_checksum)

    def register_transformation(self, tf_checksum: Checksum, tf_dict: dict[str, Any]) -> None:
        """Remember the dict of a transformation (for recomputation)."""
        self._tf_dicts[tf_checksum] = tf_dict

    def register_result(
        self, tf_checksum: Checksum, result: Checksum, buffer: Buffer | None = None
    ) -> None:
        """Record ``tf_checksum -> result`` (and hold ``buffer`` for a while)."""
        self._results[tf_checksum] = result
        reverse = self._reverse.setdefault(result, [])
        if tf_checksum not in reverse:
            reverse.append(tf_checksum)
        if buffer is not None:
            self.hold_buffer(result, buffer)

    def hold_buffer(self, checksum: Checksum, buffer: Buffer) -> None:
        """Keep ``buffer`` alive (least recently used ones are dropped beyond the byte cap)."""
        if checksum in self._buffers:
            self._buffers.move_to_end(checksum)
            return
        self._buffers[checksum] = buffer
        self._buffer_bytes += len(buffer)
        while self._buffer_bytes > self.max_buffer_bytes and len(self._buffers) > 1:
            _, old = self._buffers.popitem(last=False)
            self._buffer_bytes -= len(old)

    def forget(self, tf_checksum: Checksum) -> None:
        """Drop a cached result (used when its buffer turned out to be unavailable)."""
        self._results.pop(tf_checksum, None)

    async def evaluate(
        self,
        tf_checksum: Checksum,
        execute: ExecuteFunc,
        *,
        scratch: bool = False,
        lookup_database: bool = True,
        persist: bool = True,
        latch: str = "local",
    ) -> Checksum:
        """Return the result checksum of ``tf_checksum``, executing it only when needed.

        ``latch`` separates in-flight work by kind: a client delegating to a remote backend
        ("remote") must not join the worker-side execution ("local") of the same checksum,
        which may run in this very process (e.g. Dask with an in-process cluster).
        """
        result = self._results.get(tf_checksum)
        if result is not None:
            self.stats["memory_hits"] += 1
            return result
        if lookup_database:
            result = await persistence.get_transformation_result(tf_checksum)
            if result is not None:
                self.stats["database_hits"] += 1
                self.register_result(tf_checksum, result)
                return result
        key = (tf_checksum, latch)
        inflight = self._inflight.get(key)
        if inflight is not None:
            self.stats["joined"] += 1
            return await asyncio.shield(inflight)
        future: asyncio.Future[Checksum] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume_exception)
        self._inflight[key] = future
        try:
            # only where the work runs: a client handing it to a backend takes no lock
            lock = transformation_lock(tf_checksum) if latch == "local" else nullcontext(False)
            async with lock as locked:
                stored = None
                if locked and lookup_database:  # another process may just have computed it
                    stored = await persistence.get_transformation_result(tf_checksum)
                if stored is not None:
                    self.stats["database_hits"] += 1
                    result = stored
                    self.register_result(tf_checksum, result)
                else:
                    self.stats["executed"] += 1
                    outcome = await execute()
                    result = outcome.checksum
                    if persist:
                        await persistence.store_result(
                            tf_checksum,
                            result,
                            outcome.buffer,
                            scratch=scratch,
                            leaf_buffers=outcome.leaf_buffers,
                        )
                    self.register_result(tf_checksum, result, outcome.buffer)
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
            raise
        else:
            future.set_result(result)
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]
        return result


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


_transformation_cache = register_registry(
    "seamless_transformer.transformation_cache", TransformationCache()
)


def get_transformation_cache() -> TransformationCache:
    """The process-wide transformation cache."""
    return _transformation_cache


async def recompute_from_transformation_checksum(
    tf_checksum: Checksum | str, *, scratch: bool = True, require_value: bool = True
) -> Checksum | None:
    """Re-execute a transformation from its checksum (fingertip support); the result checksum.

    The dict comes from this process's cache or is resolved from the hashserver.
    """
    from .execute import run_transformation_dict_async

    tf_checksum = Checksum(tf_checksum)
    cache = get_transformation_cache()
    tf_dict = cache.get_transformation_dict(tf_checksum)
    if tf_dict is None:
        buffer = await persistence.get_buffer(tf_checksum)
        if buffer is None:
            return None
        tf_dict = await buffer.get_value_async("plain")
    cache.forget(tf_checksum)
    return await run_transformation_dict_async(
        tf_dict, tf_checksum=tf_checksum, scratch=scratch, force=True
    )
