"""BufferFolderClient: flat and prefix layouts, compression, verification, read-only."""

from __future__ import annotations

import asyncio

import pytest
import zstandard
from seamless.checksum.calculate_checksum import calculate_checksum

from seamless_remote.buffer_client import BufferClient
from seamless_remote.errors import CorruptBufferError, ReadOnlyClientError
from seamless_remote.folder_client import BufferFolderClient


def test_flat_prefix_and_compressed_layouts(tmp_path):
    flat, prefixed, packed = b"flat\n", b"prefixed\n", b"packed buffer\n" * 50
    cs_flat, cs_prefixed, cs_packed = map(calculate_checksum, (flat, prefixed, packed))
    (tmp_path / cs_flat).write_bytes(flat)
    (tmp_path / cs_prefixed[:2]).mkdir()
    (tmp_path / cs_prefixed[:2] / cs_prefixed).write_bytes(prefixed)
    (tmp_path / (cs_packed + ".zst")).write_bytes(zstandard.ZstdCompressor().compress(packed))
    (tmp_path / (cs_packed + ".BUFFERLENGTH")).write_text(str(len(packed)))

    async def main():
        client = BufferFolderClient(tmp_path)
        assert await client.get(cs_flat) == flat
        assert await client.get(cs_prefixed) == prefixed
        assert await client.get(cs_packed) == packed
        assert await client.get("0" * 64) is None
        checksums = [cs_flat, cs_prefixed, cs_packed, "0" * 64]
        assert await client.has(checksums) == [True, True, True, False]
        assert await client.buffer_lengths(checksums) == [
            len(flat),
            len(prefixed),
            len(packed),
            None,
        ]

    asyncio.run(main())


def test_hashserver_directory_as_read_folder(hashserver):
    content = b"written through the server, read from its directory\n"
    cs = calculate_checksum(content)

    async def main():
        await BufferClient(hashserver.url, readonly=False).write(cs, content)
        assert await BufferFolderClient(hashserver.directory).get(cs) == content

    asyncio.run(main())


def test_corrupt_file_raises(tmp_path):
    cs = calculate_checksum(b"good\n")
    (tmp_path / cs).write_bytes(b"evil\n")
    with pytest.raises(CorruptBufferError) as info:
        asyncio.run(BufferFolderClient(tmp_path).get(cs))
    assert info.value.source == str(tmp_path / cs)


def test_folder_is_read_only(tmp_path):
    client = BufferFolderClient(tmp_path)
    with pytest.raises(ReadOnlyClientError):
        asyncio.run(client.write("0" * 64, b""))
    with pytest.raises(ReadOnlyClientError):
        asyncio.run(client.promise("0" * 64))


def test_get_now_reads_verified_buffers_in_the_calling_thread(tmp_path):
    prefixed, packed = b"prefixed now\n", b"packed now\n" * 40
    cs_prefixed, cs_packed = calculate_checksum(prefixed), calculate_checksum(packed)
    (tmp_path / cs_prefixed[:2]).mkdir()
    (tmp_path / cs_prefixed[:2] / cs_prefixed).write_bytes(prefixed)
    (tmp_path / (cs_packed + ".zst")).write_bytes(zstandard.ZstdCompressor().compress(packed))
    client = BufferFolderClient(tmp_path)
    assert client.get_now(cs_prefixed) == prefixed
    assert client.get_now(cs_packed) == packed
    assert client.get_now("0" * 64) is None


def test_get_now_never_returns_a_corrupt_file(tmp_path):
    cs = calculate_checksum(b"good now\n")
    (tmp_path / cs).write_bytes(b"evil now\n")
    broken = calculate_checksum(b"not zstd\n")
    (tmp_path / (broken + ".zst")).write_bytes(b"not zstd\n")
    client = BufferFolderClient(tmp_path)
    assert client.get_now(cs) is None  # the async get() then says what is wrong
    assert client.get_now(broken) is None
    with pytest.raises(CorruptBufferError):
        asyncio.run(client.get(cs))
