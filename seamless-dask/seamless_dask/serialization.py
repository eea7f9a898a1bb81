"""``Buffer`` (and the payloads that carry one) cross Dask as raw byte frames, not pickles.

Registered with ``distributed.protocol.dask_serialize``/``dask_deserialize`` on import. The
buffer content goes out as memoryviews of the bytes (no copy on the sending side) and the
checksum travels in the header, so the receiver does not hash the buffer again. On receipt the
frame becomes ``bytes`` (Buffer requires bytes: one copy, against two for pickle) and the
Buffer is registered in the worker's buffer cache under its checksum.

Workers import this module through the task functions and the worker plugin.
"""

from __future__ import annotations

from typing import Any

from distributed.protocol import dask_deserialize, dask_serialize
from seamless import Buffer, Checksum

from seamless_transformer.values import live_buffer

from .payloads import BasePayload, FatPayload

Frames = list[bytes | memoryview]

#: Buffers go out as frames of at most this size, below distributed's shard size (64 MiB by
#: default), so distributed never splits and re-merges them: the receiver joins the frames
#: straight into the one ``bytes`` object the Buffer needs (a single copy).
FRAME_SIZE = 32 * 1024 * 1024


def _buffer_frames(buffer: Buffer | None) -> tuple[dict[str, Any], Frames]:
    if buffer is None:
        return {"buffer": False}, []
    checksum = getattr(buffer, "_checksum", None)
    header = {"buffer": True, "checksum": None if checksum is None else checksum.hex()}
    view = memoryview(buffer.content)
    return header, [view[i : i + FRAME_SIZE] for i in range(0, len(view), FRAME_SIZE)] or [view]


def _buffer_from_frames(header: dict[str, Any], frames: Frames) -> Buffer | None:
    if not header.get("buffer"):
        return None
    if len(frames) == 1 and isinstance(frames[0], bytes):
        content = frames[0]
    else:
        content = b"".join(frames)
    checksum = header.get("checksum")
    if checksum is None:
        return Buffer(content)
    return live_buffer(content, Checksum(checksum))


@dask_serialize.register(Buffer)
def serialize_buffer(buffer: Buffer) -> tuple[dict[str, Any], Frames]:
    """Buffer -> (header with checksum, [content])."""
    return _buffer_frames(buffer)


@dask_deserialize.register(Buffer)
def deserialize_buffer(header: dict[str, Any], frames: Frames) -> Buffer:
    """(header, [content]) -> Buffer."""
    buffer = _buffer_from_frames(header, frames)
    assert buffer is not None
    return buffer


@dask_serialize.register(FatPayload)
def serialize_fat_payload(payload: FatPayload) -> tuple[dict[str, Any], Frames]:
    """FatPayload -> header (checksum, exc) + buffer frame."""
    header, frames = _buffer_frames(payload.buffer)
    header.update(payload_checksum=payload.checksum, exc=payload.exc)
    return header, frames


@dask_deserialize.register(FatPayload)
def deserialize_fat_payload(header: dict[str, Any], frames: Frames) -> FatPayload:
    """Inverse of :func:`serialize_fat_payload`."""
    return FatPayload(
        header["payload_checksum"], _buffer_from_frames(header, frames), header["exc"]
    )


@dask_serialize.register(BasePayload)
def serialize_base_payload(payload: BasePayload) -> tuple[dict[str, Any], Frames]:
    """BasePayload -> header (checksums, exc) + buffer frame."""
    header, frames = _buffer_frames(payload.buffer)
    header.update(
        tf_checksum=payload.tf_checksum, result_checksum=payload.result_checksum, exc=payload.exc
    )
    return header, frames


@dask_deserialize.register(BasePayload)
def deserialize_base_payload(header: dict[str, Any], frames: Frames) -> BasePayload:
    """Inverse of :func:`serialize_base_payload`."""
    return BasePayload(
        header["tf_checksum"],
        header["result_checksum"],
        _buffer_from_frames(header, frames),
        header["exc"],
    )


def ensure_registered() -> None:
    """No-op whose import side effect registers the serializers (for plugins and tests)."""


__all__ = [
    "deserialize_base_payload",
    "deserialize_buffer",
    "deserialize_fat_payload",
    "ensure_registered",
    "serialize_base_payload",
    "serialize_buffer",
    "serialize_fat_payload",
]
