"""Executing a transformation dict locally: resolve inputs, run the code, package the result.

``run_transformation_dict`` / ``run_transformation_dict_async`` are the worker-side entry points
for execution backends (Dask workers, the jobserver): they go through the transformation cache
(memory, database, in-flight), execute in this process, and in persistent mode write the result
buffer before the database entry.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from seamless import Buffer, Checksum
from seamless.checksum.calculate_checksum import TRIVIAL_CHECKSUMS

from . import persistence
from .celltypes import DEEP_CELLTYPES
from .errors import TransformationError
from .event_loop import run_async, run_sync
from .transformation_cache import ExecutionResult, get_transformation_cache
from .transformation_dict import is_dunder, transformation_checksum
from .values import leaf_checksums, to_buffer, to_deep_buffers

T = TypeVar("T")


def local_buffer(checksum: Checksum) -> Buffer | None:
    """A buffer available in this process without I/O, or None."""
    trivial = TRIVIAL_CHECKSUMS.get(checksum.hex())
    if trivial is not None:
        return Buffer(trivial)
    from seamless.caching.buffer_cache import get_buffer_cache

    try:
        buffer = get_buffer_cache().get(checksum)
    except RuntimeError:  # seamless-core refuses its buffer cache in a marked worker process
        buffer = None
    if buffer is None:
        buffer = get_transformation_cache().get_result_buffer(checksum)
    return buffer


async def resolve_buffer(
    checksum: Checksum, known: Mapping[Checksum, Buffer] | None = None, *, what: str = "buffer"
) -> Buffer:
    """Find a buffer: the given ones, this process, then the hashserver/read folders."""
    buffer = None if known is None else known.get(checksum)
    if buffer is None:
        buffer = local_buffer(checksum)
    if buffer is None:
        buffer = await persistence.get_buffer(checksum)
    if buffer is None:
        raise TransformationError(
            f"Cannot resolve {what} {checksum.hex()}: it is not in this process and no "
            "hashserver/read folder has it (is persistent mode active and the buffer written?)"
        )
    return buffer


async def resolve_inputs(
    tf_dict: Mapping[str, Any], known: Mapping[Checksum, Buffer] | None = None
) -> tuple[dict[str, Buffer], dict[Checksum, Buffer]]:
    """The buffer of every pin, plus the leaf buffers that folder pins need."""
    pin_buffers: dict[str, Buffer] = {}
    leaves: dict[Checksum, Buffer] = {}
    for pin, triple in tf_dict.items():
        if is_dunder(pin):
            continue
        checksum = Checksum(triple[2])
        pin_buffers[pin] = await resolve_buffer(checksum, known, what=f"input pin {pin!r}")
        fmt = (tf_dict.get("__format__") or {}).get(pin)
        for leaf in leaf_checksums(triple, pin_buffers[pin], fmt):
            leaves[leaf] = await resolve_buffer(leaf, known, what=f"a file of pin {pin!r}")
    return pin_buffers, leaves


def package_result(value: Any, celltype: str) -> ExecutionResult:
    """Serialize a result value with the result celltype."""
    if celltype in DEEP_CELLTYPES or celltype == "folder":
        index, leaves = to_deep_buffers(value, celltype)
        return ExecutionResult(index.checksum, index, leaves)
    buffer = to_buffer(value, celltype)
    return ExecutionResult(buffer.checksum, buffer)


def execute_dict(
    tf_dict: Mapping[str, Any],
    pin_buffers: Mapping[str, Buffer],
    leaf_buffers: Mapping[Checksum, Buffer],
) -> ExecutionResult:
    """Run the code of ``tf_dict`` in this thread and package the result (sync)."""
    language = tf_dict.get("__language__")
    celltype = tf_dict["__output__"][1]
    if language == "python":
        from .python_executor import run_python

        value = run_python(tf_dict, pin_buffers, leaf_buffers)
    elif language == "bash":
        from .bash_executor import run_bash

        value = run_bash(tf_dict, pin_buffers, leaf_buffers)
    else:
        raise TransformationError(
            f"Unsupported transformation language {language!r} (supported: python, bash)"
        )
    try:
        return package_result(value, celltype)
    except Exception as exc:  # noqa: BLE001 (re-raised as a TransformationError naming the celltype)
        raise TransformationError(
            f"The result ({type(value).__name__}) cannot be stored as celltype {celltype!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from None


async def run_in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run a blocking call in a fresh thread (no pool, so nested transformations never
    starve for threads), in a copy of the caller's context (so that code run by a Dask
    task still sees ``distributed.get_worker()``)."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(value: Any, exc: BaseException | None) -> None:
        if future.done():
            return
        if exc is None:
            future.set_result(value)
        else:
            future.set_exception(exc)

    def target() -> None:
        try:
            value = func(*args)
        except BaseException as exc:  # noqa: BLE001 (delivered to the awaiting future)
            loop.call_soon_threadsafe(deliver, None, exc)
        else:
            loop.call_soon_threadsafe(deliver, value, None)

    threading.Thread(
        target=context.run, args=(target,), name="seamless-transformation", daemon=True
    ).start()
    return await future


async def execute_in_process(
    tf_dict: Mapping[str, Any], known: Mapping[Checksum, Buffer] | None = None
) -> ExecutionResult:
    """Resolve the inputs, then run the code in a thread of this process."""
    pin_buffers, leaves = await resolve_inputs(tf_dict, known)
    return await run_in_thread(execute_dict, tf_dict, pin_buffers, leaves)


async def _run_dict(
    tf_dict: Mapping[str, Any], tf_checksum: Checksum, scratch: bool, force: bool
) -> Checksum:
    cache = get_transformation_cache()
    cache.register_transformation(tf_checksum, dict(tf_dict))
    if force:
        cache.forget(tf_checksum)
    return await cache.evaluate(
        tf_checksum,
        lambda: execute_in_process(tf_dict),
        scratch=scratch,
        lookup_database=not force,
    )


async def run_transformation_dict_async(
    tf_dict: Mapping[str, Any],
    *,
    tf_checksum: Checksum | str | None = None,
    scratch: bool = False,
    force: bool = False,
) -> Checksum:
    """Execute a transformation dict in this process (after cache lookups); the result checksum.

    Raises TransformationError with the exception text when the code fails. ``force`` skips
    the cache lookups (recomputation).
    """
    checksum = transformation_checksum(tf_dict) if tf_checksum is None else Checksum(tf_checksum)
    return await run_async(_run_dict(tf_dict, checksum, scratch, force))


def run_transformation_dict(
    tf_dict: Mapping[str, Any],
    *,
    tf_checksum: Checksum | str | None = None,
    scratch: bool = False,
    force: bool = False,
) -> Checksum:
    """Sync twin of ``run_transformation_dict_async``."""
    checksum = transformation_checksum(tf_dict) if tf_checksum is None else Checksum(tf_checksum)
    return run_sync(_run_dict(tf_dict, checksum, scratch, force), what="run_transformation_dict()")
