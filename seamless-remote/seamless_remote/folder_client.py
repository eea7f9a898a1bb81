"""Read-only client for a buffer directory ("read folder", e.g. a hashserver's own directory).

A buffer is looked up flat (`<dir>/<cs>`) and in the prefix layout (`<dir>/<cs[:2]>/<cs>`),
each also as `.zst` / `.gz`. While `<dir>/.LOCK` or `<file>.LOCK` exists, a missing buffer is
waited for (0.5 s poll, 10 s at most). Contents are verified like server replies.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ReadOnlyClientError
from .verify import decode_content, verified_content

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
        bases = (self.directory / checksum, self.directory / checksum[:2] / checksum)
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

    def _locked(self, checksum: str) -> bool:
        if (self.directory / ".LOCK").exists():
            return True
        return any(
            path.with_name(path.name + ".LOCK").exists() for path, _ in self._candidates(checksum)
        )

    async def get(self, checksum: str) -> bytes | None:
        """The verified buffer, or None if the folder does not have it."""
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:
            found = await asyncio.to_thread(self._find, checksum)
            if found is not None:
                break
            locked = await asyncio.to_thread(self._locked, checksum)
            if not locked or time.monotonic() > deadline:
                return None
            await asyncio.sleep(_LOCK_POLL)
        path, encoding = found
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        content = await decode_content(content, encoding)
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
