"""The tuples that Seamless tasks return through Dask. Errors travel as values in ``exc``.

They are NamedTuples (so ``checksum, buffer, exc = payload`` works) of dedicated types, so that
:mod:`seamless_dask.serialization` can send the buffer as a raw frame instead of pickling it.
Checksums are hex strings; ``exc`` is an error text or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from seamless import Buffer


class FatPayload(NamedTuple):
    """A buffer loaded on a worker: ``(checksum, buffer, exc)``."""

    checksum: str | None
    buffer: Buffer | None
    exc: str | None


class BasePayload(NamedTuple):
    """What a base task returns: ``(tf_checksum, result_checksum, buffer, exc)``.

    ``buffer`` is the result buffer when the task computed it (kept hot in worker memory for
    nearby dependents), None on a cache hit.
    """

    tf_checksum: str | None
    result_checksum: str | None
    buffer: Buffer | None
    exc: str | None


class ThinPayload(NamedTuple):
    """What a thin task returns: ``(tf_checksum, result_checksum, exc)`` (no buffer)."""

    tf_checksum: str | None
    result_checksum: str | None
    exc: str | None


__all__ = ["BasePayload", "FatPayload", "ThinPayload"]
