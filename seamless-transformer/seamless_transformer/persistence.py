"""Result persistence through seamless_remote: database lookups and writes, buffer writes.

Persistent mode is on when seamless_remote has a writable database. The write order is the
guarantee: the result buffer goes to every write hashserver first, then the database entry, so a
result checksum in the database always has a retrievable buffer. Scratch results are the
documented exception: only the database entry is written and the buffer stays local.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seamless import Checksum

from seamless_remote import buffer_remote, database_remote
from seamless_remote.errors import CorruptBufferError

from .errors import TransformationError

if TYPE_CHECKING:
    from seamless import Buffer


def has_database_read() -> bool:
    """A database is available for result lookups."""
    return database_remote.has_read_server()


def is_persistent() -> bool:
    """Results are written to a database (and their buffers to a hashserver)."""
    return database_remote.has_write_server()


def has_buffer_write() -> bool:
    """A writable hashserver is available."""
    return buffer_remote.has_write_server()


async def get_transformation_result(tf_checksum: Checksum) -> Checksum | None:
    """The result checksum the database holds for ``tf_checksum``, or None."""
    if not database_remote.has_read_server():
        return None
    result = await database_remote.get_transformation_result(tf_checksum)
    return None if result is None else Checksum(result)


async def get_buffer(checksum: Checksum) -> Buffer | None:
    """Fetch a verified buffer from the read folders / hashservers, or None.

    A stored copy whose content does not hash to ``checksum`` is never returned: that is a
    TransformationError saying so (seamless_remote verifies every read, HTTP or direct).
    """
    try:
        return await buffer_remote.get_buffer(checksum)
    except CorruptBufferError as exc:
        raise TransformationError(str(exc)) from exc


def get_folder_buffer_now(checksum: Checksum) -> Buffer | None:
    """A verified buffer from a read folder (a local hashserver directory), read in the
    calling thread, which must not be an event loop; None when none has it right now."""
    return buffer_remote.get_folder_buffer_now(checksum)


async def write_buffer(checksum: Checksum, buffer: Buffer) -> None:
    """Write ``buffer`` to every write hashserver; raise if persistent mode cannot store it."""
    if not buffer_remote.has_write_server():
        raise TransformationError(
            f"Cannot store result buffer {checksum.hex()}: a database is active for writing "
            "but no writable hashserver is; select a cluster with both a hashserver and a "
            "database (or set SEAMLESS_CACHE)"
        )
    ok = await buffer_remote.write_buffer(checksum, buffer)
    if ok is False:
        raise TransformationError(
            f"Writing result buffer {checksum.hex()} to the hashserver failed"
        )


async def set_transformation_result(tf_checksum: Checksum, result: Checksum) -> None:
    """Store ``tf_checksum -> result`` in every write database."""
    await database_remote.set_transformation_result(tf_checksum, result)


async def store_result(
    tf_checksum: Checksum,
    result: Checksum,
    buffer: Buffer | None,
    *,
    scratch: bool,
    leaf_buffers: list[Buffer] | None = None,
) -> None:
    """Persist a fresh result: buffers first (unless scratch), then the database entry."""
    if not is_persistent():
        return
    if not scratch:
        await _write_result_buffers(result, buffer, leaf_buffers)
    await set_transformation_result(tf_checksum, result)


async def _write_result_buffers(
    result: Checksum, buffer: Buffer | None, leaf_buffers: list[Buffer] | None
) -> None:
    for leaf in leaf_buffers or []:
        await write_buffer(await leaf.get_checksum_async(), leaf)
    if buffer is None:
        raise TransformationError(f"Result buffer {result.hex()} is not available for writing")
    await write_buffer(result, buffer)


async def store_result_with_record(
    tf_checksum: Checksum,
    result: Checksum,
    buffer: Buffer | None,
    *,
    scratch: bool,
    remote_target: str,
    runtime: Mapping[str, Any] | None,
    leaf_buffers: list[Buffer] | None = None,
) -> None:
    """Persist a fresh remote result with its minimal execution record, in one database request.

    Buffers first (unless scratch), then the record: the database stores a record together
    with its transformation entry, atomically (reference dask-remote.md, ``metadata``). When
    the record is not stored (it is best-effort: refused, or a transport failure that was
    logged), the entry is written on its own, as ``store_result`` does.
    """
    if not is_persistent():
        return
    if not scratch:
        await _write_result_buffers(result, buffer, leaf_buffers)
    if not await write_execution_record(
        tf_checksum, result, remote_target=remote_target, runtime=runtime
    ):
        await set_transformation_result(tf_checksum, result)


async def write_execution_record(
    tf_checksum: Checksum,
    result: Checksum,
    *,
    remote_target: str,
    runtime: Mapping[str, Any] | None,
) -> bool:
    """After a remote execution: the minimal execution record (the 1.x key set), best-effort.

    ``runtime`` is the ``record_runtime`` measured around the execution (:mod:`.runtime`).
    Written after the result; a transport failure is logged by seamless_remote, never raised.
    """
    if not database_remote.has_write_server():
        return False
    from .runtime import record_fields

    return await database_remote.write_minimal_record(
        tf_checksum, result, remote_target=remote_target, **record_fields(dict(runtime or {}))
    )


def queue_upload(buffers: list[Buffer]) -> None:
    """Upload buffers in the background (seamless-core's buffer writer) in persistent mode."""
    if not has_buffer_write():
        return
    from seamless.caching import buffer_writer

    for buffer in buffers:
        buffer.get_checksum()
        buffer_writer.register(buffer)


async def upload(buffers: list[Buffer]) -> None:
    """Upload buffers now (before a remote backend needs them)."""
    if not buffer_remote.has_write_server():
        return
    await buffer_remote.upload_buffers(buffers)  # concurrent; skips recent writes of this process
