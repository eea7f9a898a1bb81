"""HTTP client for one hashserver (buffers by SHA-256 checksum).

Endpoints: `GET /<cs>`, `PUT /<cs>`, `PUT /promise/<cs>`, `GET /has`, `GET /buffer-length`
(JSON list bodies). Every buffer read is decoded (`Content-Encoding: zstd|gzip`) and verified
against its checksum; a mismatch is fetched once more and then raised as CorruptBufferError,
never returned as data. A client whose server directory is reachable writes through its
`fast_path` (`seamless_remote.folder_writer`) and falls back to HTTP when that is not usable.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from .client import Client
from .errors import CorruptBufferError, ReadOnlyClientError, RemoteHTTPError
from .folder_writer import FastPath
from .verify import decode_content, verified_content

__all__ = ["BufferClient", "BufferStore"]

_ACCEPT = {"Accept-Encoding": "zstd, gzip, identity"}


#: How long a buffer this process wrote counts as present on the server (seconds).
WRITTEN_MEMO_TTL = 60.0
#: At most this many remembered writes per client.
WRITTEN_MEMO_SIZE = 100_000


class BufferStore(Protocol):
    """What reads and writes go through: a hashserver (:class:`BufferClient`) or a buffer
    folder (``folder_client.BufferFolderClient``). Checksums are hex strings."""

    async def get(self, checksum: str) -> bytes | None: ...

    async def has(self, checksums: Sequence[str]) -> list[bool]: ...

    async def buffer_lengths(self, checksums: Sequence[str]) -> list[int | None]: ...

    async def write(self, checksum: str, content: bytes) -> bool: ...

    async def promise(self, checksum: str) -> None: ...


class BufferClient(Client):
    """Reads (and, unless read-only, writes) buffers on a hashserver."""

    kind = "hashserver"

    def __init__(self, url: str, *, readonly: bool = True) -> None:
        super().__init__(url, readonly=readonly)
        # checksum -> time of a successful write by this process
        self._written: OrderedDict[str, float] = OrderedDict()
        # (event loop id, checksum) -> the PUT in flight
        self._uploads: dict[tuple[int, str], asyncio.Future[bool]] = {}
        #: Writes into the server's own directory when it is reachable (`buffer_remote.activate`).
        self.fast_path: FastPath | None = None

    def recently_written(self, checksum: str) -> bool:
        """True if this process wrote ``checksum`` to this server less than
        ``WRITTEN_MEMO_TTL`` seconds ago (so an upload may be skipped)."""
        written = self._written.get(checksum)
        if written is None:
            return False
        if time.monotonic() - written > WRITTEN_MEMO_TTL:
            self._written.pop(checksum, None)
            return False
        return True

    def _remember_written(self, checksum: str) -> None:
        self._written[checksum] = time.monotonic()
        self._written.move_to_end(checksum)
        while len(self._written) > WRITTEN_MEMO_SIZE:
            self._written.popitem(last=False)

    async def get(self, checksum: str) -> bytes | None:
        """The verified buffer, or None if the server does not have it."""
        for attempt in (1, 2):
            reply = await self._request("GET", checksum, headers=_ACCEPT)
            if reply.status == 404:
                return None
            if reply.status == 400 and b"corruption" in reply.body.lower():
                raise CorruptBufferError(self.url, checksum=checksum, actual=None)
            if reply.status != 200:
                raise RemoteHTTPError(
                    f"{self.url}/{checksum}", method="GET", status=reply.status, body=reply.text()
                )
            content = await decode_content(reply.body, reply.headers.get("Content-Encoding"))
            try:
                return await verified_content(content, checksum, source=self.url)
            except CorruptBufferError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def write(self, checksum: str, content: bytes) -> bool:
        """Store a buffer (through `fast_path` when it is usable, else PUT); True once stored.

        Concurrent writes of the same checksum (in one event loop) share one PUT, so twenty
        transformations started at once on one large input send it once.
        """
        if self.readonly:
            raise ReadOnlyClientError(self.url, operation=f"PUT of buffer {checksum}")
        key = (id(asyncio.get_running_loop()), checksum)
        upload = self._uploads.get(key)
        if upload is None:
            upload = asyncio.ensure_future(self._put(checksum, content))
            self._uploads[key] = upload
            upload.add_done_callback(lambda _: self._uploads.pop(key, None))
        return await asyncio.shield(upload)

    async def _put(self, checksum: str, content: bytes) -> bool:
        fast_path = self.fast_path
        if fast_path is not None and await fast_path.write(checksum, content):
            self._remember_written(checksum)
            return True
        reply = await self._request("PUT", checksum, data=content)
        if reply.status not in (200, 201, 202):
            raise RemoteHTTPError(
                f"{self.url}/{checksum}", method="PUT", status=reply.status, body=reply.text()
            )
        self._remember_written(checksum)
        return True

    async def promise(self, checksum: str) -> None:
        """Announce an upload: GETs of `checksum` wait for it instead of answering 404."""
        if self.readonly:
            raise ReadOnlyClientError(self.url, operation=f"promise of buffer {checksum}")
        reply = await self._request("PUT", f"promise/{checksum}")
        if reply.status not in (200, 202):
            raise RemoteHTTPError(
                f"{self.url}/promise/{checksum}",
                method="PUT",
                status=reply.status,
                body=reply.text(),
            )

    async def has(self, checksums: Sequence[str]) -> list[bool]:
        """For each checksum: stored, being uploaded or promised."""
        result = await self._list_query("has", checksums)
        return [bool(item) for item in result]

    async def buffer_lengths(self, checksums: Sequence[str]) -> list[int | None]:
        """For each checksum: its length, or None if absent or only promised."""
        result = await self._list_query("buffer-length", checksums)
        lengths: list[int | None] = []
        for item in result:
            if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
                lengths.append(None)
            else:
                lengths.append(item)
        return lengths

    async def _list_query(self, endpoint: str, checksums: Sequence[str]) -> list[object]:
        checksums = list(checksums)
        if not checksums:
            return []
        reply = await self._request("GET", endpoint, json=checksums)
        if reply.status != 200:
            raise RemoteHTTPError(
                f"{self.url}/{endpoint}", method="GET", status=reply.status, body=reply.text()
            )
        result = json.loads(reply.body)
        if not isinstance(result, list) or len(result) != len(checksums):
            raise RemoteHTTPError(
                f"{self.url}/{endpoint}",
                method="GET",
                status=reply.status,
                body=f"expected a JSON list of {len(checksums)} items, got {reply.text()}",
            )
        return result
