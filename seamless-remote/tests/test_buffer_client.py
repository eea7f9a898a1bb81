"""BufferClient against a real hashserver: round trips, verification, promises, encodings."""

from __future__ import annotations

import asyncio
import gzip
import os

import pytest
import zstandard
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.buffer_client import BufferClient
from seamless_remote.errors import CorruptBufferError, ReadOnlyClientError


def _stored_path(directory, checksum, suffix=""):
    return directory / checksum[:2] / (checksum + suffix)


def test_small_round_trip(hashserver):
    content = b"hello seamless\n"
    cs = calculate_checksum(content)

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        assert await client.get(cs) is None
        assert await client.write(cs, content) is True
        assert await client.write(cs, content) is True  # already stored: 201
        assert await client.get(cs) == content
        assert await client.has([cs, "0" * 64]) == [True, False]
        assert await client.buffer_lengths([cs, "0" * 64]) == [len(content), None]

    asyncio.run(main())
    assert _stored_path(hashserver.directory, cs).read_bytes() == content


@pytest.mark.timeout(120)
def test_large_round_trip(hashserver):
    content = os.urandom(1024) * (100 * 1024)  # 100 MiB
    cs = calculate_checksum(content)

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        await client.write(cs, content)
        assert await client.buffer_lengths([cs]) == [len(content)]
        assert await client.get(cs) == content

    asyncio.run(main())


def test_corrupt_file_is_not_returned(hashserver):
    content = b"original bytes\n"
    cs = calculate_checksum(content)

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        await client.write(cs, content)
        path = _stored_path(hashserver.directory, cs)
        path.chmod(0o644)
        path.write_bytes(b"tampered bytes\n")
        with pytest.raises(CorruptBufferError) as info:
            await client.get(cs)
        assert cs in str(info.value)

    asyncio.run(main())


def test_corrupt_compressed_file_is_detected_by_the_client(hashserver):
    content = b"compressed original\n" * 100
    cs = calculate_checksum(content)
    path = _stored_path(hashserver.directory, cs, ".zst")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A valid zstd frame whose content is NOT the buffer: only the client can notice.
    path.write_bytes(zstandard.ZstdCompressor().compress(b"something else\n"))

    async def main():
        client = BufferClient(hashserver.url)
        with pytest.raises(CorruptBufferError) as info:
            await client.get(cs)
        assert info.value.actual == calculate_checksum(b"something else\n")

    asyncio.run(main())


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_content_encoding_replies_are_decoded(hashserver, encoding):
    content = b"a compressible buffer " * 1000
    cs = calculate_checksum(content)
    if encoding == "zstd":
        packed = zstandard.ZstdCompressor().compress(content)
    else:
        packed = gzip.compress(content)

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        reply = await client._request(
            "PUT", cs, data=packed, headers={"Content-Encoding": encoding}
        )
        assert reply.status == 200, reply.text()
        reply = await client._request("GET", cs, headers={"Accept-Encoding": "identity"})
        assert reply.headers.get("Content-Encoding") == encoding  # served as stored
        assert await client.get(cs) == content
        assert await client.buffer_lengths([cs]) == [len(content)]

    asyncio.run(main())


def test_read_only_client_refuses_writes(hashserver):
    content = b"not to be written\n"
    cs = calculate_checksum(content)

    async def main():
        client = BufferClient(hashserver.url, readonly=True)
        with pytest.raises(ReadOnlyClientError, match="readonly=False"):
            await client.write(cs, content)
        with pytest.raises(ReadOnlyClientError):
            await client.promise(cs)
        assert await BufferClient(hashserver.url).has([cs]) == [False]

    asyncio.run(main())


class _RequestWatcher:
    """A loopback TCP relay to a server that sets ``seen`` once a request holding ``needle``
    has been passed on to the server (an event to wait for, instead of a fixed sleep)."""

    def __init__(self, port: int, needle: bytes) -> None:
        self.port, self.needle = port, needle
        self.seen = asyncio.Event()
        self.url = ""
        self._server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> _RequestWatcher:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, watch: bool) -> None:
            seen = b""
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
                    seen = (seen + data)[-4096:]
                    if watch and self.needle in seen:
                        self.seen.set()
            finally:
                dst.close()

        await asyncio.gather(
            pipe(reader, up_writer, True), pipe(up_reader, writer, False), return_exceptions=True
        )


def test_promise_then_delayed_upload(hashserver):
    content = b"promised buffer\n"
    cs = calculate_checksum(content)

    async def main():
        writer = BufferClient(hashserver.url, readonly=False)
        async with _RequestWatcher(hashserver.port, f"GET /{cs}".encode()) as watcher:
            reader = BufferClient(watcher.url)
            await writer.promise(cs)
            assert await reader.has([cs]) == [True]
            pending = asyncio.ensure_future(reader.get(cs))
            # the GET reached the server while the buffer was only promised...
            await asyncio.wait_for(watcher.seen.wait(), 30)
            assert not (hashserver.directory / cs[:2] / cs).exists()
            written = await writer.write(cs, content)
            assert written
            # ...and it answers with the content uploaded afterwards (no 404: it waited)
            assert await asyncio.wait_for(pending, 30) == content

    asyncio.run(main())


def test_concurrent_writes_of_one_buffer_share_one_put(hashserver):
    content = os.urandom(4 * 1024 * 1024)
    cs = calculate_checksum(content)
    other = b"another buffer"

    async def main():
        client = BufferClient(hashserver.url, readonly=False)
        puts = []
        request = client._request

        async def counting_request(method, path, **kwargs):
            if method == "PUT":
                puts.append(path)
            return await request(method, path, **kwargs)

        client._request = counting_request
        results = await asyncio.gather(
            *(client.write(cs, content) for _ in range(10)),
            client.write(calculate_checksum(other), other),
        )
        assert results == [True] * 11
        assert sorted(puts) == sorted([cs, calculate_checksum(other)])
        assert await client.write(cs, content) is True  # a later write is a new PUT
        assert puts.count(cs) == 2
        assert await client.get(cs) == content

    asyncio.run(main())
