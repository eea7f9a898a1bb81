"""Checksum verification and decompression of buffers read from servers and folders.

The checksum is seamless-core's (SHA-256 of the uncompressed bytes); it is computed in a
thread for large buffers so that the event loop is never blocked.
"""

from __future__ import annotations

import asyncio
import gzip

import zstandard
from seamless.checksum.calculate_checksum import calculate_checksum

from .errors import CorruptBufferError

__all__ = ["decode_content", "decode_content_sync", "is_verified", "verified_content"]

_THREAD_THRESHOLD = 1_000_000


def _decode_sync(content: bytes, encoding: str) -> bytes:
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(content)
    if encoding == "gzip":
        return gzip.decompress(content)
    raise ValueError(f"Unsupported Content-Encoding {encoding!r}; expected zstd or gzip")


def decode_content_sync(content: bytes, encoding: str | None) -> bytes:
    """``decode_content`` in the calling thread (for callers that are not an event loop)."""
    encoding = (encoding or "identity").strip().lower()
    return content if encoding == "identity" else _decode_sync(content, encoding)


def is_verified(content: bytes, checksum: str) -> bool:
    """True when ``content`` hashes to ``checksum`` (computed in the calling thread)."""
    return calculate_checksum(content) == checksum


async def decode_content(content: bytes, encoding: str | None) -> bytes:
    """Undo a `Content-Encoding` (zstd, gzip, identity or none)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return content
    if len(content) > _THREAD_THRESHOLD:
        return await asyncio.to_thread(_decode_sync, content, encoding)
    return _decode_sync(content, encoding)


async def verified_content(content: bytes, checksum: str, *, source: str) -> bytes:
    """Return `content` if it hashes to `checksum`, else raise CorruptBufferError."""
    if len(content) > _THREAD_THRESHOLD:
        actual = await asyncio.to_thread(calculate_checksum, content)
    else:
        actual = calculate_checksum(content)
    if actual != checksum:
        raise CorruptBufferError(source, checksum=checksum, actual=actual)
    return content
