"""Values <-> buffers for pins and results, always through seamless-core's serializers.

Serialization bypasses seamless-core's serialization LRU (keyed by ``id(value)``), so a value
mutated in place is serialized again instead of giving a stale checksum (a Seamless 1.x bug).
A buffer whose checksum seamless-core's buffer cache already holds is reused from there, so twenty
transformations on the same large input hold one copy of its buffer, not twenty.
Deep celltypes (deepcell, deepfolder, folder) are a "plain" index dict ``{key: checksum}``; the
leaf buffers travel beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seamless import Buffer, Checksum
from seamless.caching.buffer_cache import get_buffer_cache
from seamless.checksum.calculate_checksum import calculate_checksum
from seamless.checksum.serialize import serialize_sync

from .celltypes import DEEP_CELLTYPES, serialization_celltype


def to_buffer(value: Any, celltype: str) -> Buffer:
    """Serialize ``value`` with ``celltype`` (fresh, no serialization cache); checksum computed."""
    if isinstance(value, Buffer):
        return live_buffer(value.content)
    if celltype == "bytes" and isinstance(value, bytes):
        return live_buffer(value)
    ser = serialization_celltype(celltype)
    if ser == "plain" and celltype == "checksum":
        value = _checksums_to_hex(value)
    return live_buffer(serialize_sync(value, ser, use_cache=False))


def live_buffer(content: bytes, checksum: Checksum | None = None) -> Buffer:
    """The buffer seamless-core's buffer cache holds for ``content``, else a new one.

    Use this instead of ``Buffer(content, checksum=...)`` for bytes that arrive from elsewhere
    (Dask, worker processes, inline task data): seamless-core's weak buffer cache keeps one
    entry per checksum, and registering a short-lived duplicate would replace the entry of a
    buffer that is still alive, which then vanishes from the cache with the duplicate.
    ``checksum``, when given, is trusted (computed otherwise).
    """
    if checksum is None:
        checksum = Checksum(calculate_checksum(content))
    live = get_buffer_cache().get(checksum)
    return live if live is not None else Buffer(content, checksum=checksum)


def _checksums_to_hex(value: Any) -> Any:
    if isinstance(value, Checksum):
        return value.hex()
    if isinstance(value, Mapping):
        return {k: _checksums_to_hex(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_checksums_to_hex(v) for v in value]
    return value


def to_deep_buffers(value: Mapping[str, Any], celltype: str) -> tuple[Buffer, list[Buffer]]:
    """Pack a dict into an index buffer plus leaf buffers (mixed leaves for deepcell, bytes
    leaves for deepfolder/folder)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"A {celltype} value must be a dict, not {type(value).__name__}")
    leaf_celltype = "mixed" if celltype == "deepcell" else "bytes"
    leaves: list[Buffer] = []
    index: dict[str, str] = {}
    for key in sorted(value):
        leaf_value = value[key]
        if isinstance(leaf_value, Checksum):
            index[key] = leaf_value.hex()
            continue
        if leaf_celltype == "bytes" and isinstance(leaf_value, str):
            leaf_value = leaf_value.encode()
        leaf = to_buffer(leaf_value, leaf_celltype)
        leaves.append(leaf)
        index[key] = leaf.checksum.hex()
    return to_buffer(index, "plain"), leaves


def from_buffer(buffer: Buffer, celltype: str) -> Any:
    """Deserialize ``buffer`` as ``celltype`` ("bytes" gives bytes, not a Buffer)."""
    if celltype == "bytes":
        return buffer.content
    if celltype in DEEP_CELLTYPES or celltype == "folder":
        return buffer.get_value("plain")
    return buffer.get_value(serialization_celltype(celltype))


def pin_value(triple: list[Any], buffer: Buffer, leaf_buffers: Mapping[Checksum, Buffer]) -> Any:
    """The value a transformer sees for a pin ``[celltype, subcelltype, hex]``."""
    celltype, subcelltype = triple[0], triple[1]
    if subcelltype == "checksum":
        return buffer.get_value("plain")
    if celltype in DEEP_CELLTYPES:
        return {k: Checksum(v) for k, v in buffer.get_value("plain").items()}
    if celltype == "folder":
        index = buffer.get_value("plain")
        return {k: leaf_buffers[Checksum(v)].content for k, v in index.items()}
    return from_buffer(buffer, celltype)


def leaf_checksums(
    triple: list[Any], buffer: Buffer, fmt: Mapping[str, Any] | None = None
) -> list[Checksum]:
    """The leaf checksums a folder pin (or a bash directory pin) needs before execution."""
    directory = ((fmt or {}).get("filesystem") or {}).get("mode") == "directory"
    if triple[0] == "folder" or directory:
        return [Checksum(v) for v in buffer.get_value("plain").values()]
    return []
