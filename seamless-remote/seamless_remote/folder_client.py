"""Read-only client for a buffer directory ("read folder", e.g. a hashserver's own directory).

A buffer is looked up in the prefix layout (`<dir>/<cs[:2]>/<cs>`) and flat (`<dir>/<cs>`),
each also as `.zst` / `.gz`, in one worker-thread trip. While `<dir>/.LOCK`,
`<dir>/<cs[:2]>/.LOCK` or `<file>.LOCK` exists, a missing buffer, or one that does not match its
checksum (it may be being written in place), is waited for (0.5 s poll, 10 s at most). Contents
are verified like server replies: a corrupt file is never returned.
"""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import zstandard

from .errors import CorruptBufferError, ReadOnlyClientError
from .verify import decode_content, decode_content_sync, is_verified, verified_content

__all__ = ["BufferFolderClient"]

_SUFFIXES = (("", None), (".zst", "zstd"), (".gz", "gzip"))
_LOCK_POLL = 0.5
_LOCK_TIMEOUT = 10.0


class BufferFolderClient:
    """Reads verified buffers from a directory; never writes."""

    kind = "bufferfolder"
    readonly = True
    url = None

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"BufferFolderClient({str(self.directory)!r})"

    def _candidates(self, checksum: str) -> list[tuple[Path, str | None]]:
        bases = (self.directory / checksum[:2] / checksum, self.directory / checksum)
        return [
            (base.with_name(base.name + suffix), encoding)
            for base in bases
            for suffix, encoding in _SUFFIXES
        ]

    def _find(self, checksum: str) -> tuple[Path, str | None] | None:
        for path, encoding in self._candidates(checksum):
            if path.is_file():
                return path, encoding
        return None

    def _read(self, checksum: str) -> tuple[bytes, Path, str | None] | None:
        for path, encoding in self._candidates(checksum):
            try:
                return path.read_bytes(), path, encoding
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
        return None

    def _locked(self, checksum: str) -> bool:
        if (self.directory / ".LOCK").exists():
            return True
        if (self.directory / checksum[:2] / ".LOCK").exists():
            return True
        return any(
            path.with_name(path.name + ".LOCK").exists() for path, _ in self._candidates(checksum)
        )

    async def get(self, checksum: str) -> bytes | None:
        """The verified buffer, or None if the folder does not have it."""
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:
            found = await asyncio.to_thread(self._read, checksum)
            if found is not None:
                content, path, encoding = found
                try:
                    return await self._verified(content, path, encoding, checksum)
                except CorruptBufferError:
                    if not await self._wait_for_lock(checksum, deadline):
                        raise
                    continue
            if not await self._wait_for_lock(checksum, deadline):
                return None

    def get_now(self, checksum: str) -> bytes | None:
        """The verified buffer, read in the calling thread without waiting; None when the
        folder does not have it or has no verified copy right now (the async ``get`` then
        waits for a lock, or says what is wrong). For threads that are not an event loop."""
        found = self._read(checksum)
        if found is None:
            return None
        content, _, encoding = found
        try:
            content = decode_content_sync(content, encoding)
        except (zstandard.ZstdError, zlib.error, EOFError, OSError):
            return None
        return content if is_verified(content, checksum) else None

    async def _wait_for_lock(self, checksum: str, deadline: float) -> bool:
        """True (after one poll interval) while a lock file exists, until the deadline."""
        locked = await asyncio.to_thread(self._locked, checksum)
        if not locked or time.monotonic() > deadline:
            return False
        await asyncio.sleep(_LOCK_POLL)
        return True

    @staticmethod
    async def _verified(content: bytes, path: Path, encoding: str | None, checksum: str) -> bytes:
        try:
            content = await decode_content(content, encoding)
        except (zstandard.ZstdError, zlib.error, EOFError, OSError) as exc:
            raise CorruptBufferError(str(path), checksum=checksum, actual=None) from exc
        return await verified_content(content, checksum, source=str(path))

    async def has(self, checksums: Sequence[str]) -> list[bool]:
        """For each checksum: present in the folder."""
        return [await asyncio.to_thread(self._find, cs) is not None for cs in checksums]

    async def buffer_lengths(self, checksums: Sequence[str]) -> list[int | None]:
        """For each checksum: its uncompressed length, or None if absent or unknown."""
        return [await asyncio.to_thread(self._length, cs) for cs in checksums]

    def _length(self, checksum: str) -> int | None:
        found = self._find(checksum)
        if found is None:
            return None
        path, encoding = found
        if encoding is None:
            return path.stat().st_size
        sidecar = path.with_name(checksum + ".BUFFERLENGTH")
        try:
            return int(sidecar.read_text().strip())
        except (OSError, ValueError):
            return None

    async def write(self, checksum: str, content: bytes) -> bool:
        raise ReadOnlyClientError(str(self.directory), operation=f"write of buffer {checksum}")

    async def promise(self, checksum: str) -> None:
        raise ReadOnlyClientError(str(self.directory), operation=f"promise of buffer {checksum}")
